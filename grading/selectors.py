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
    def status(self) -> str:
        return self.outcome.status

    @property
    def bonus(self) -> int:
        return self.outcome.assignments.bonus


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
    """The staff gradebook's filters: by status (graded/pending/failed/changed), final grade and name search.

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
    """One row for the student records system: a module's grade and the date the work was completed."""

    student: User
    module_code: str
    grade: str
    examined_on: dt.date | None


def module_reports(book: Gradebook) -> list[ModuleReport]:
    """What goes to the student records system: LAB1 when passed, and the second module when it has a grade.

    The second module carries the final grade (bonus included) because the records system derives the course
    grade from the modules; a fail (F, Fx) is reported as it is; a pass that has no final grade yet (the
    assignments are not all passed) is held back, since its bonus step is not settled.
    """
    reports = []
    for row in book.rows:
        lab = row.outcome.assignments
        if lab.passed and book.policy.assignments_required:
            reports.append(ModuleReport(row.student, "LAB1", "P", lab.completed_on))
        module = row.outcome.module
        if module.code is None:
            continue
        if row.final_grade is not None:
            grade = row.final_grade
        elif module.grade in FAILING_GRADES:
            grade = module.grade
        else:
            continue
        reports.append(ModuleReport(row.student, module.code, grade, module.completed_on))
    return reports
