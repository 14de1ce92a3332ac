"""The audit log: every service calls `audit_record` inside its transaction; staff read it in plain words.

`audit_entries` turns rows into `AuditEntry`s ("Ada Examiner changed the project grade of Group 2 from B to A:
reason ..."): a table of action -> sentence (`SENTENCES`), a readable fallback for any other action, who it was
about, and the old and new values. Reading a page of rows costs a fixed number of queries (the rows with their
actors, and the people the rows name).
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet

from .models import AuditLog, Course, User

# Every action is spelled `noun.verb`: the thing acted on (singular) and a present-tense verb, in snake case
# ("suite.upload", "help_slot.book", "job.finish"); the audit page's areas are the nouns.
ACTION_NAME = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")


def audit_record(
    *, actor: User | None, action: str, course: Course | None = None, target: models.Model | None = None, **data: Any
) -> AuditLog:
    if not ACTION_NAME.match(action):
        raise ValueError(f"audit action {action!r} is not spelled noun.verb (e.g. 'suite.upload')")
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        course=course,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )


# Reading ------------------------------------------------------------------------------------------------------------


def audit_rows(
    *,
    course: Course,
    actor: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditLog]:
    """The course's audit rows, newest first, filtered by the actor's username, the kind (an action, or the part
    before its dot: "grading", "project") and the course-local dates `since` to `until`, both included."""
    rows = AuditLog.objects.filter(course=course).select_related("actor")
    if actor:
        rows = rows.filter(actor__username=actor)
    if action:
        rows = rows.filter(models.Q(action=action) | models.Q(action__startswith=f"{action}."))
    tz = course.tz
    if since is not None:
        rows = rows.filter(at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=tz))
    if until is not None:
        rows = rows.filter(at__lt=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return rows.order_by("-at", "-id")


def audit_kinds(*, course: Course) -> list[tuple[str, str]]:
    """The kinds of rows the course has, for the filter: each area ("grading") and each action in it (one query)."""
    actions = sorted(AuditLog.objects.filter(course=course).order_by().values_list("action", flat=True).distinct())
    kinds: list[tuple[str, str]] = []
    for area in sorted({a.split(".")[0] for a in actions if "." in a}):
        kinds.append((area, f"{area.replace('_', ' ').capitalize()}: everything"))
    kinds += [(a, action_words(a)) for a in actions]
    return kinds


@dataclass(frozen=True)
class AuditEntry:
    row: AuditLog
    actor: str  # the person's name, or "The system"
    whom: str  # who or what it was about
    sentence: str  # the whole event in plain words
    old: str  # the old values ("grade: B"), blank when the action has none
    new: str

    @property
    def at(self) -> dt.datetime:
        return self.row.at

    @property
    def action(self) -> str:
        return self.row.action


def _grade(value: Any) -> str:
    return str(value) if value not in (None, "") else "no grade"


def _points(value: Any) -> str:
    return f"{value} bonus point{'' if value == 1 else 's'}"


def _passed(value: Any) -> str:
    return "Pass" if value else "Fail"


def _oral_grade(d: Mapping[str, Any], whom: str) -> str:
    group = d.get("group") or whom
    if d.get("old_grade"):
        return f"changed the project grade of {group} from {d['old_grade']} to {d.get('grade')}"
    return f"recorded the project grade {d.get('grade')} for {group}"


def _mark(d: Mapping[str, Any], whom: str) -> str:
    points = f"Part I {d.get('part1_points') or _passed(d.get('part1_passed'))}, Part II {d.get('part2_points')}"
    if d.get("old_grade"):
        return f"changed the exam mark of {whom} from {d['old_grade']} to {d.get('grade')} ({points})"
    return f"marked the exam of {whom}: {d.get('grade')} ({points})"


def _settings(what: str) -> Callable[[Mapping[str, Any], str], str]:
    def sentence(d: Mapping[str, Any], whom: str) -> str:
        before, after = d.get("before"), d.get("after")
        if isinstance(before, dict) and isinstance(after, dict):
            changed = [
                f"{key.replace('_', ' ')} from {before.get(key)} to {after[key]}"
                for key in after
                if before.get(key) != after[key]
            ]
            if changed:
                return f"changed the {what}: " + "; ".join(changed)
            return f"saved the {what} unchanged"
        return f"changed the {what}"

    return sentence


# action -> sentence after the actor's name: a format string over the row's data (plus {whom}), or a function of
# (data, whom). A reason in the data is added at the end (": reason ..."). Any other action gets `_fallback`.
SENTENCES: dict[str, str | Callable[[Mapping[str, Any], str], str]] = {
    "final_grade.change": lambda d, w: (
        f"changed the final grade of {w} from {_grade(d.get('old_grade'))} to {_grade(d.get('new_grade'))}"
    ),
    "final_grade.relock": lambda d, w: (
        f"re-locked the final grade of {w} from {_grade(d.get('old_grade'))} to {_grade(d.get('new_grade'))} "
        f"(results were {d.get('old_inputs')}, now {d.get('new_inputs')})"
    ),
    "final_grade.finalise": "finalised the grades, locking {locked} students' final grades",
    "grading_settings.update": _settings("grading settings"),
    "records_export.make": lambda d, w: (
        f"made a {'provisional ' if d.get('provisional') else ''}student records (Ladok) file with "
        f"{d.get('rows')} results{' (only new and changed)' if d.get('only_new') else ''}"
    ),
    "canvas_column.set": "changed the Canvas columns",
    "canvas_roster.import": "read Canvas's gradebook export: {matched} students matched, {unmatched} not",
    "oral_grade.record": _oral_grade,
    "project_settings.update": "changed the project settings",
    "group.create": "created the project group {name}",
    "invitation.create": "invited {whom} to a project group",
    "proposal.submit": "submitted a project proposal",
    "proposal.approve": "approved a project proposal",
    "final_report.upload": "uploaded the project's final report",
    "proposal.reject": "rejected a project proposal",
    "oral_slot.place": "placed a project group in an oral slot",
    "announcement.send": "sent the announcement to {audience} ({recipients} people)",
    "exam_mark.record": _mark,
    "exam_extension.grant": "gave {whom} an exam deadline until {until}",
    "module.choose": "chose the {choice} for the second module",
    "review.record": lambda d, w: (
        f"reviewed a submission of {w}: {_passed(d.get('passed'))}, {_points(d.get('bonus'))}"
    ),
    "regrade.request": "asked for a regrade",
    "regrade.answer": lambda d, w: (
        f"answered a regrade request: {_passed(d.get('passed'))}, {_points(d.get('bonus'))}"
        + ("" if d.get("changed") else " (unchanged)")
    ),
    "submission.create": lambda d, w: (
        f"submitted assignment {d.get('assignment')}" + (" late" if d.get("late") else "")
    ),
    "submission.claim": "claimed a submission for review",
    "submission.assign": "assigned a submission to {whom}",
    "extension.grant": "gave {whom} an extension on assignment {assignment} until {deadline_at}",
    "extension.revoke": "took back the extension of {whom} on assignment {assignment} (it was until {deadline_at})",
    "assignment.create": "created assignment {number}",
    "assignment.update": "changed an assignment",
    "course_dates.update": _settings("course dates"),
    "roster.import": "imported the roster: {created} new, {updated} updated, {unchanged} unchanged",
    "lti_score.resend": "sent the score for {item} of {whom} to the LMS gradebook again",
}

HIDDEN = {"reason", "student", "code_sha256", "report_sha256"}  # said elsewhere, or noise in a sentence


def action_words(action: str) -> str:
    """ "help_slot.book" -> "Help slot: book"."""
    area, _, rest = action.partition(".")
    if not rest:
        return area.replace("_", " ").capitalize()
    return f"{area.replace('_', ' ').capitalize()}: {rest.replace('_', ' ')}"


def _fallback(row: AuditLog, whom: str) -> str:
    details = ", ".join(
        f"{key.replace('_', ' ')} {_value(value)}" for key, value in sorted(row.data.items()) if key not in HIDDEN
    )
    about = f" about {whom}" if whom else ""
    return f"did {action_words(row.action).lower()}{about}" + (f" ({details})" if details else "")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _old_new(data: Mapping[str, Any]) -> tuple[str, str]:
    """The old and new values a row records: `old_x`/`new_x` or `old_x`/`x` pairs, or `before`/`after` dicts."""
    old, new = [], []
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in after:
            if before.get(key) != after[key]:
                old.append(f"{key.replace('_', ' ')}: {_value(before.get(key))}")
                new.append(f"{key.replace('_', ' ')}: {_value(after[key])}")
    for key in data:
        if key.startswith("old_"):
            name = key[4:]
            later = data.get(f"new_{name}", data.get(name))
            old.append(f"{name.replace('_', ' ')}: {_value(data[key])}")
            new.append(f"{name.replace('_', ' ')}: {_value(later)}")
    return "; ".join(old), "; ".join(new)


def audit_entries(rows: Iterable[AuditLog]) -> list[AuditEntry]:
    """The rows in plain words; one query for the people the rows name (by username), whatever their number."""
    rows = list(rows)
    usernames = {str(r.data.get(key)) for r in rows for key in ("student", "invitee", "reviewer") if r.data.get(key)}
    names = dict(User.objects.filter(username__in=usernames).values_list("username", "full_name")) if usernames else {}
    entries = []
    for row in rows:
        actor = row.actor.display_name if row.actor is not None else "The system"
        data: dict[str, Any] = row.data if isinstance(row.data, dict) else {"value": row.data}
        person = next((str(data[k]) for k in ("student", "invitee", "reviewer") if data.get(k)), "")
        whom = (names.get(person) or person) if person else str(data.get("group") or "")
        template = SENTENCES.get(row.action)
        try:
            if callable(template):
                said = template(data, whom)
            elif template is not None:
                said = template.format_map({**{k: _value(v) for k, v in data.items()}, "whom": whom or "someone"})
            else:
                said = _fallback(row, whom)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError):
            said = _fallback(row, whom)
        reason = str(data.get("reason") or "").strip()
        sentence = f"{actor} {said}" + (f": reason {reason}" if reason else "")
        sentence += "" if sentence.endswith(".") else "."
        old, new = _old_new(data)
        entries.append(AuditEntry(row, actor, whom, sentence, old, new))
    return entries
