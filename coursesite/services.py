"""State changes of the course core: roster import, withdrawal, calendar tokens. Each writes an audit row."""

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from .audit import audit_record
from .hooks import registry
from .models import Course, Membership, Role, User, _new_calendar_token
from .personal_id import PersonalIdError, normalised_or_same
from .personal_id import normalise as normalise_personal_id

ROSTER_COLUMNS = ("username", "full_name", "email", "role")
ROSTER_OPTIONAL_COLUMNS = ("personal_id", "status")
ROSTER_MAX_BYTES = 5 * 1024 * 1024
# The only roles a roster may name, written in any case. No aliases: "teacher" could mean an examiner or a TA.
ROSTER_ROLES = {"instructor": Role.INSTRUCTOR, "ta": Role.TA, "student": Role.STUDENT}
ROSTER_STATUSES = ("active", "withdrawn")
_DELIMITERS = (",", ";", "\t")


@dataclass
class RosterError:
    row: int  # 1-based line number in the file, the header being row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class RoleChange:
    row: int
    username: str
    old: str
    new: str

    def __str__(self) -> str:
        old, new = Role(self.old).label, Role(self.new).label
        consequence = ""
        if self.old == Role.STUDENT:
            consequence = " (leaves the gradebook and the review queue; submissions and project group are kept)"
        elif self.new == Role.STUDENT:
            consequence = " (loses the staff pages; joins the gradebook)"
        return f"{self.username}: {old} \N{RIGHTWARDS ARROW} {new}{consequence}"

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "username": self.username, "old_role": self.old, "new_role": self.new}


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    reactivated: int = 0
    errors: list[RosterError] = field(default_factory=list)
    role_changes: list[RoleChange] = field(default_factory=list)
    # True when the file changes someone's role and that was not confirmed: then nothing was changed.
    needs_confirmation: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.needs_confirmation

    def summary(self) -> str:
        text = f"Roster imported: {self.created} new, {self.updated} updated, {self.unchanged} unchanged"
        if self.role_changes:
            text += f"; {len(self.role_changes)} role change{'s' if len(self.role_changes) != 1 else ''}"
        if self.withdrawn:
            text += f"; {self.withdrawn} marked withdrawn"
        if self.reactivated:
            text += f"; {self.reactivated} re-activated"
        return text + "."


@dataclass
class _RosterRow:
    line: int
    username: str
    full_name: str
    email: str
    role: str
    personal_id: str = ""
    status: str = ""  # "", "active" or "withdrawn"; empty leaves an existing member's status as it is


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _decode_roster(data: bytes) -> str | RosterError:
    """The file's text: UTF-8 (with or without the BOM Excel writes), UTF-16 with a BOM, else Windows-1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return RosterError(1, "-", "the file starts like UTF-16 text but is not; save it as CSV UTF-8")
    if b"\x00" in data:
        return RosterError(1, "-", "this is not a text file; save the roster as CSV (UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel's "CSV" in a Swedish (or other Western) Windows locale; latin-1 is what is left (every byte is a letter).
    for encoding in ("cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return RosterError(1, "-", "the file is not UTF-8 text; save it as CSV UTF-8")  # pragma: no cover (latin-1)


def _delimiter(header_line: str) -> str:
    """The separator of the header line: a comma, or the semicolon Excel uses in Swedish locales, or a tab."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_roster(data: bytes) -> tuple[list[_RosterRow], list[RosterError]]:
    errors: list[RosterError] = []
    if len(data) > ROSTER_MAX_BYTES:
        return [], [RosterError(1, "-", "the file is larger than 5 MB; is it really a roster?")]
    text = _decode_roster(data)
    if isinstance(text, RosterError):
        return [], [text]
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [RosterError(1, "-", "the file is empty")]
    except csv.Error as exc:
        return [], [RosterError(1, "-", f"not a readable CSV file ({exc})")]
    columns = [_normalise_header(name) for name in header]
    columns = ["full_name" if c == "name" else c for c in columns]
    missing = [c for c in ROSTER_COLUMNS if c not in columns]
    if missing and len(columns) == 1:
        return [], [
            RosterError(
                1,
                "-",
                "the header must name the columns username, full_name, email, role separated by commas "
                "(semicolons, as Excel writes them, work too)",
            )
        ]
    if missing:
        return [], [RosterError(1, c, "this column is missing from the header") for c in missing]
    index = {name: columns.index(name) for name in (*ROSTER_COLUMNS, *ROSTER_OPTIONAL_COLUMNS) if name in columns}
    rows: list[_RosterRow] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) < len(header):
                errors.append(RosterError(line, "-", f"expected {len(header)} columns, found {len(values)}"))
                continue
            row_ok = True

            def error(column: str, message: str) -> None:
                nonlocal row_ok
                row_ok = False
                errors.append(RosterError(line, column, message))  # noqa: B023 (called within this iteration)

            username = values[index["username"]].strip()
            full_name = values[index["full_name"]].strip()
            email = values[index["email"]].strip()
            role_text = values[index["role"]].strip().lower()
            personal_id = values[index["personal_id"]].strip() if "personal_id" in index else ""
            status = values[index["status"]].strip().lower() if "status" in index else ""
            if personal_id:
                try:
                    personal_id = normalise_personal_id(personal_id)
                except PersonalIdError as exc:
                    error("personal_id", str(exc))
            if not username:
                error("username", "is empty")
            elif not re.match(User.username_validator.regex, username) or len(username) > 150:
                error("username", f"{username!r} may only hold letters, digits and @.+-_")
            elif username.lower() in seen:
                error("username", f"{username!r} already appears on row {seen[username.lower()]}")
            else:
                seen[username.lower()] = line
            if not full_name:
                error("full_name", "is empty")
            try:
                validate_email(email)
            except ValidationError:
                error("email", f"{email!r} is not an email address")
            if role_text not in ROSTER_ROLES:
                error("role", f"{role_text!r} is not one of instructor, ta, student")
            if status and status not in ROSTER_STATUSES:
                error("status", f"{status!r} is not one of active, withdrawn (or empty)")
            elif status == "withdrawn" and ROSTER_ROLES.get(role_text, Role.STUDENT) != Role.STUDENT:
                error("status", "only students can be marked withdrawn")
            if row_ok:
                rows.append(_RosterRow(line, username, full_name, email, ROSTER_ROLES[role_text], personal_id, status))
    except csv.Error as exc:
        errors.append(RosterError(reader.line_num, "-", f"not a readable CSV line ({exc})"))
    return rows, errors


def _may_update_account(*, user: User, course: Course, member: Membership | None, in_other_courses: bool) -> bool:
    """A roster keeps up to date only the accounts it answers for (issue 13).

    That is an account this course's roster created, or a plain student of this course, and in both cases one in
    no other course; never a staff (is_staff) or superuser account. Anything else is someone else's account: a
    roster that changed its e-mail address could have its password reset to the new address.
    """
    if user.is_staff or user.is_superuser or in_other_courses:
        return False
    return user.roster_course_id == course.pk or (member is not None and member.role == Role.STUDENT)


def _protected_reason(user: User, in_other_courses: bool) -> str:
    if user.is_superuser:
        return "it is an administrator account"
    if user.is_staff:
        return "it is a site staff account"
    if in_other_courses:
        return "the account is also in another course"
    return "the account was not created by this course's roster"


def roster_import(
    *,
    course: Course,
    data: bytes,
    by: User | None,
    confirm_role_changes: bool = False,
    expected_role_changes: Collection[RoleChange] | None = None,
) -> RosterResult:
    """Import the registrar's roster: all rows or none; re-importing the same file changes nothing.

    The roster creates accounts and memberships. It changes an existing account (e-mail, full name, personal
    identity number) only where `_may_update_account` allows; a row that would change the e-mail or identity
    number of any other account refuses the whole file (audited). A change of an existing member's role happens
    only with `confirm_role_changes` (and, when given, only if the changes are exactly `expected_role_changes`,
    the list the examiner saw); otherwise the result lists the changes and nothing is changed.
    """
    rows, errors = _parse_roster(data)
    result = RosterResult(errors=errors)
    if errors:
        return result
    refusals: list[dict[str, object]] = []
    with transaction.atomic():
        users = {
            u.username: u for u in User.objects.select_for_update().filter(username__in=[r.username for r in rows])
        }
        new_names = {r.username.lower(): r for r in rows if r.username not in users}
        lookalikes = {
            u.lower_name: u.username
            for u in User.objects.annotate(lower_name=Lower("username")).filter(lower_name__in=list(new_names))
        }
        members = {m.user_id: m for m in Membership.objects.select_for_update().filter(course=course)}
        elsewhere = set(
            Membership.objects.filter(user__in=[u.pk for u in users.values()])
            .exclude(course=course)
            .values_list("user_id", flat=True)
        )
        plan: list[tuple[_RosterRow, User | None, dict[str, str]]] = []
        for row in rows:
            user = users.get(row.username)
            if user is None:
                if row.username.lower() in lookalikes:
                    existing = lookalikes[row.username.lower()]
                    result.errors.append(
                        RosterError(
                            row.line, "username", f"an account {existing!r} exists; usernames may not differ by case"
                        )
                    )
                plan.append((row, None, {}))
                continue
            member = members.get(user.pk)
            owned = _may_update_account(user=user, course=course, member=member, in_other_courses=user.pk in elsewhere)
            changes: dict[str, str] = {}
            real_changes = set()  # not only the way the old value was written
            if user.email.lower() != row.email.lower():
                changes["email"] = row.email
                real_changes.add("email")
            # A roster without the optional column (or an empty cell) leaves what an earlier roster said.
            if row.personal_id and user.personal_id != row.personal_id:
                changes["personal_id"] = row.personal_id
                if normalised_or_same(user.personal_id) != row.personal_id:
                    real_changes.add("personal_id")
            if not owned:
                for column in ("email", "personal_id"):
                    if column in real_changes:
                        reason = _protected_reason(user, user.pk in elsewhere)
                        result.errors.append(
                            RosterError(
                                row.line,
                                column,
                                f"would change the {column.replace('_', ' ')} of the existing account "
                                f"{user.username!r}, which this roster may not change: {reason}",
                            )
                        )
                        refusals.append(
                            {"row": row.line, "username": user.username, "column": column, "reason": reason}
                        )
                changes = {}  # nor its name: the account is not this roster's
            elif user.full_name != row.full_name:
                changes["full_name"] = row.full_name
            if member is not None and member.role != row.role:
                if by is not None and user.pk == by.pk:
                    result.errors.append(RosterError(row.line, "role", "you cannot change your own role by a roster"))
                result.role_changes.append(RoleChange(row.line, user.username, member.role, row.role))
            plan.append((row, user, changes))
        if result.errors:
            result.role_changes = []
        elif result.role_changes and not (
            confirm_role_changes
            and (expected_role_changes is None or set(expected_role_changes) == set(result.role_changes))
        ):
            result.needs_confirmation = True
        else:
            _apply_roster(course=course, plan=plan, members=members, result=result)
            audit_record(
                actor=by,
                action="roster.import",
                course=course,
                target=course,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                withdrawn=result.withdrawn,
                reactivated=result.reactivated,
                role_changes=[c.as_dict() for c in result.role_changes],
            )
    if refusals:
        audit_record(actor=by, action="roster_import.refuse", course=course, target=course, refused=refusals)
    return result


def _apply_roster(
    *,
    course: Course,
    plan: list[tuple[_RosterRow, User | None, dict[str, str]]],
    members: dict[int, Membership],
    result: RosterResult,
) -> None:
    now = timezone.now()
    for row, user, changes in plan:
        if user is None:
            user = User(
                username=row.username,
                full_name=row.full_name,
                email=row.email,
                personal_id=row.personal_id,
                roster_course=course,
            )
            user.set_unusable_password()
            user.save()
            result.created += 1
            withdrawn_at = now if row.status == "withdrawn" else None
            result.withdrawn += withdrawn_at is not None
            Membership.objects.create(user=user, course=course, role=row.role, withdrawn_at=withdrawn_at)
            continue
        changed = False
        if changes:
            for name, value in changes.items():
                setattr(user, name, value)
            user.save(update_fields=list(changes))
            changed = True
        member = members.get(user.pk)
        if member is None:
            withdrawn_at = now if row.status == "withdrawn" else None
            result.withdrawn += withdrawn_at is not None
            Membership.objects.create(user=user, course=course, role=row.role, withdrawn_at=withdrawn_at)
            changed = True
        else:
            fields = []
            if member.role != row.role:
                member.role = row.role
                fields.append("role")
                if row.role != Role.STUDENT and member.withdrawn_at is not None:
                    member.withdrawn_at = None  # staff are never "withdrawn"
                    fields.append("withdrawn_at")
            if row.status == "withdrawn" and member.withdrawn_at is None:
                member.withdrawn_at = now
                fields.append("withdrawn_at")
                result.withdrawn += 1
                _after_withdrawal(course=course, user=user)
            elif row.status == "active" and member.withdrawn_at is not None:
                member.withdrawn_at = None
                fields.append("withdrawn_at")
                result.reactivated += 1
            if fields:
                member.save(update_fields=fields)
                changed = True
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1


def _after_withdrawal(*, course: Course, user: User) -> int:
    """What each app does when a student withdraws (e.g. cancel their upcoming help bookings): the hook."""
    return sum(handler(course, user) or 0 for handler in registry.withdrawal)


@transaction.atomic
def membership_withdraw(*, membership: Membership, by: User) -> Membership:
    """Mark a student as having left the course: nothing is deleted, and it can be undone."""
    membership = Membership.objects.select_for_update().select_related("course", "user").get(pk=membership.pk)
    if membership.role != Role.STUDENT:
        raise ValidationError("Only students can be marked withdrawn.")
    if membership.withdrawn_at is not None:
        raise ValidationError(f"{membership.user.username} is already marked withdrawn.")
    membership.withdrawn_at = timezone.now()
    membership.save(update_fields=["withdrawn_at"])
    cancelled = _after_withdrawal(course=membership.course, user=membership.user)
    audit_record(
        actor=by,
        action="roster.withdraw",
        course=membership.course,
        target=membership,
        username=membership.user.username,
        bookings_cancelled=cancelled,
    )
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, by: User) -> Membership:
    membership = Membership.objects.select_for_update().select_related("course", "user").get(pk=membership.pk)
    if membership.withdrawn_at is None:
        raise ValidationError(f"{membership.user.username} is not marked withdrawn.")
    membership.withdrawn_at = None
    membership.save(update_fields=["withdrawn_at"])
    audit_record(
        actor=by,
        action="roster.reactivate",
        course=membership.course,
        target=membership,
        username=membership.user.username,
    )
    return membership


def calendar_token_rotate(*, user: User) -> str:
    with transaction.atomic():
        user.calendar_token = _new_calendar_token()
        user.save(update_fields=["calendar_token"])
        audit_record(actor=user, action="calendar_token.rotate", target=user)
    return user.calendar_token


def _date_words(course: Course, value: object) -> object:
    """A course date as the audit log says it: a day, or a moment in the course's time zone."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, course.tz).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@transaction.atomic
def course_dates_update(*, course: Course, by: User, **values: object) -> Course:
    """Change the course-wide dates (the rules that they make sense together are in Course.clean); audited."""
    unknown = set(values) - set(Course.DATE_FIELDS)
    if unknown:
        raise ValidationError(f"Not a course date: {', '.join(sorted(unknown))}.")
    course = Course.objects.select_for_update().get(pk=course.pk)
    before = {name: _date_words(course, getattr(course, name)) for name in values}
    for name, value in values.items():
        setattr(course, name, value)
    course.full_clean()
    course.save(update_fields=list(values))
    after = {name: _date_words(course, getattr(course, name)) for name in values}
    audit_record(actor=by, action="course_dates.update", course=course, target=course, before=before, after=after)
    return course
