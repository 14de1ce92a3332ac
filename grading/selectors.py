"""Reads of grading: the gradebook combines the roster, the modules' results and the grade policy.

The queries are a fixed number whatever the number of students: the roster, the settings, the locked grades
with their changes, and each module's result selector (each a fixed number of queries by contract).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from assignments.selectors import assignment_results
from coursesite.models import Course, Membership, Role, User
from coursesite.results import AssignmentResult
from exams.selectors import exam_results, module_choices
from projects.selectors import project_results

from .models import FinalGrade, GradingSettings
from .policy import FAILING_GRADES, GRADES, FinalGradeOutcome, GradePolicy, final_grade


@dataclass(frozen=True)
class GradebookRow:
    student: User
    assignments: dict[int, AssignmentResult]
    outcome: FinalGradeOutcome  # what the policy gives today
    locked: FinalGrade | None  # what the examiner locked, if the course is finalised
    cells: tuple[tuple[int, AssignmentResult | None], ...] = ()  # one per assignment column of the gradebook
    withdrawn: bool = False  # left the course: kept on record, out of the gradebook's active list

    @property
    def final_grade(self) -> str | None:
        """The grade that counts: the locked one once locked, the policy's until then."""
        if self.locked is not None:
            return self.locked.grade or None
        return self.outcome.grade

    @property
    def explanation(self) -> str:
        return self.outcome.explanation

    @property
    def differs_from_policy(self) -> bool:
        """True when a locked grade no longer matches what the policy gives (e.g. after a late regrade)."""
        return self.locked is not None and (self.locked.grade or None) != self.outcome.grade

    @property
    def locked_inputs(self) -> str:
        """The results behind the locked grade, as locked: "PRO1 B, 7 bonus points, LAB1 passed"."""
        if self.locked is None:
            return ""
        return _inputs_text(
            self.locked.module_code, self.locked.module_grade, self.locked.bonus, self.locked.lab_passed
        )

    @property
    def current_inputs(self) -> str:
        module = self.outcome.module
        return _inputs_text(module.code or "", module.grade or "", self.bonus, self.outcome.assignments.passed)

    @property
    def inputs_changed(self) -> bool:
        """True when a result behind a locked grade (module, its grade, bonus, LAB1) changed since it was locked."""
        if self.locked is None:
            return False
        module = self.outcome.module
        lab_changed = self.locked.lab_passed is not None and self.locked.lab_passed != self.outcome.assignments.passed
        return lab_changed or (self.locked.module_code, self.locked.module_grade, self.locked.bonus) != (
            module.code or "",
            module.grade or "",
            self.bonus,
        )

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def bonus(self) -> int:
        return self.outcome.assignments.bonus


def _inputs_text(code: str, grade: str, bonus: int, lab_passed: bool | None) -> str:
    module = f"{code} {grade or 'no grade'}" if code else "no project or exam"
    lab = "" if lab_passed is None else ", LAB1 passed" if lab_passed else ", LAB1 not passed"
    return f"{module}, {bonus} bonus point{'' if bonus == 1 else 's'}{lab}"


@dataclass(frozen=True)
class Gradebook:
    course: Course
    settings: GradingSettings
    numbers: tuple[int, ...]  # the assignment columns
    rows: list[GradebookRow] = field(default_factory=list)

    @property
    def policy(self) -> GradePolicy:
        return self.settings.policy

    @property
    def finalised(self) -> bool:
        return self.settings.finalised_at is not None

    def row_for(self, user_id: int) -> GradebookRow | None:
        return next((row for row in self.rows if row.student.pk == user_id), None)


def grading_settings(*, course: Course) -> GradingSettings:
    """The course's settings; a course nobody has configured yet gets the defaults (one query)."""
    found = GradingSettings.objects.filter(course=course).first()
    return found if found is not None else GradingSettings(course=course)


def gradebook(*, course: Course, students: Iterable[int] | None = None) -> Gradebook:
    """Every student of the course (or only the given user ids) with their results and final grade."""
    settings = grading_settings(course=course)
    roster = Membership.objects.filter(course=course, role=Role.STUDENT).select_related("user")
    if students is not None:
        roster = roster.filter(user_id__in=list(students))
    members = list(roster.order_by("user__username"))
    locked_rows = FinalGrade.objects.filter(course=course).prefetch_related("changes__changed_by")
    if students is not None:
        locked_rows = locked_rows.filter(student_id__in=[m.user_id for m in members])
    locked = {f.student_id: f for f in locked_rows}
    assignments = assignment_results(course=course)
    projects = project_results(course=course)
    exams = exam_results(course=course)
    choices = module_choices(course=course)
    policy = settings.policy
    seen = {n for results in assignments.values() for n in results}
    numbers = tuple(sorted(seen | set(range(1, policy.assignments_required + 1))))
    rows = []
    for member in members:
        uid = member.user_id
        results = assignments.get(uid, {})
        outcome = final_grade(
            assignments=results,
            choice=choices.get(uid),
            project=projects.get(uid),
            exam=exams.get(uid),
            policy=policy,
        )
        cells = tuple((n, results.get(n)) for n in numbers)
        withdrawn = member.withdrawn_at is not None
        rows.append(GradebookRow(member.user, results, outcome, locked.get(uid), cells, withdrawn))
    return Gradebook(course, settings, numbers, rows)


def student_breakdown(*, course: Course, student: User) -> GradebookRow | None:
    """One student's row of the gradebook (None for someone who is not a student of the course)."""
    book = gradebook(course=course, students=[student.pk])
    return book.rows[0] if book.rows else None


def filter_rows(rows: Iterable[GradebookRow], *, status: str = "", grade: str = "", q: str = "") -> list[GradebookRow]:
    """The staff gradebook's filters: by status (graded/pending/failed/changed/inputs), final grade and name search.

    Withdrawn students are left out of every list but their own (status "withdrawn").
    """
    q = q.strip().lower()
    selected = []
    for row in rows:
        if row.withdrawn != (status == "withdrawn"):
            continue
        if status == "withdrawn":
            status_ok = True
        elif status == "changed":
            status_ok = row.differs_from_policy
        elif status == "inputs":
            status_ok = row.inputs_changed
        else:
            status_ok = not status or row.status == status
        if not status_ok:
            continue
        if grade == "none" and row.final_grade is not None:
            continue
        if grade in GRADES and row.final_grade != grade:
            continue
        if q and q not in row.student.username.lower() and q not in row.student.display_name.lower():
            continue
        selected.append(row)
    return selected


@dataclass(frozen=True)
class ModuleReport:
    """One result for the student records system: a module's grade on its own scale and its examination date."""

    student: User
    module_code: str
    grade: str
    scale: str  # "PF" (LAB1: P/F) or "AF" (PRO1, TEN1: A-F)
    examined_on: dt.date | None
    final: bool  # the student's grade is locked (the course is finalised); otherwise provisional


@dataclass(frozen=True)
class ModuleHeld:
    """A module result that is not reported yet, and why."""

    student: User
    module_code: str
    reason: str


def module_reports(book: Gradebook) -> tuple[list[ModuleReport], list[ModuleHeld]]:
    """What goes to the student records system, each module as soon as it is finished, and what is held back.

    LAB1 (P) goes once the required assignments are passed, dated the day the last of them was passed. The second
    module (PRO1 or TEN1, A-F) is dated its oral or exam day. Where the course setting puts the final grade on the
    second module (`final_grade_module == "module"`), that module carries the bonus-lifted final grade (the
    locked one once finalised), so a pass is held back until the final grade exists (the bonus step is settled
    only when LAB1 is passed); a fail (Fx, F) is reported as it is. With "none", the second module is reported on
    its own grade and the bonus goes to no module.
    """
    carries_final = book.settings.final_grade_module == "module"
    reports: list[ModuleReport] = []
    held: list[ModuleHeld] = []
    for row in book.rows:
        final = row.locked is not None
        lab = row.outcome.assignments
        if book.policy.assignments_required:
            if lab.passed:
                reports.append(ModuleReport(row.student, "LAB1", "P", "PF", lab.completed_on, final))
            elif lab.missing and any(n in row.assignments for n in lab.missing):
                held.append(ModuleHeld(row.student, "LAB1", lab.explanation))
        module = row.outcome.module
        code = (row.locked.module_code if row.locked is not None else "") or module.code
        if code is None or (module.grade is None and row.final_grade is None):
            continue
        if not carries_final:
            if module.grade is not None:
                reports.append(ModuleReport(row.student, code, module.grade, "AF", module.completed_on, final))
        elif row.final_grade is not None:
            reports.append(ModuleReport(row.student, code, row.final_grade, "AF", module.completed_on, final))
        elif module.grade in FAILING_GRADES:
            reports.append(ModuleReport(row.student, code, module.grade, "AF", module.completed_on, final))
        else:
            held.append(
                ModuleHeld(row.student, code, f"{module.explanation}, but no final grade yet: {lab.explanation}")
            )
    return reports, held
