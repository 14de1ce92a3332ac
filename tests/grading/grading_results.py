"""Real result rows of the assignments, projects and exams apps, written in bulk for gradebook tests and the bench.

They go straight into those apps' models (bulk inserts keep 1,000 students fast); the gradebook then reads them
through the apps' own result selectors, exactly as in production.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from assignments.models import Assignment, Review, Submission
from coursesite.models import Course, Membership, Role, User
from exams.models import Exam, ExamSession, Mark, ModuleChoice, Sitting
from projects.models import Group, GroupMember, MemberConfirmation, OralGrade


def make_students(course: Course, count: int, prefix: str = "s") -> list[User]:
    """`count` students of the course in two bulk inserts (no password hashing: they never sign in)."""
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i:04}", full_name=f"Student {prefix.upper()}{i:04}", password="!")
        for i in range(count)
    )
    Membership.objects.bulk_create(Membership(user=u, course=course, role=Role.STUDENT) for u in users)
    return users


class ResultsBuilder:
    """Collects results, then `save()` writes them with a handful of bulk inserts."""

    def __init__(self, course: Course, examiner: User, *, assignments: int = 4) -> None:
        self.course, self.examiner = course, examiner
        now = timezone.now()
        self.assignments = {
            n: Assignment.objects.get_or_create(
                course=course,
                number=n,
                defaults={
                    "title": f"Assignment {n}",
                    "released_at": now - dt.timedelta(days=60),
                    "deadline_at": now - dt.timedelta(days=30),
                    "bonus_max": 10,
                },
            )[0]
            for n in range(1, assignments + 1)
        }
        self.exam, _ = Exam.objects.get_or_create(course=course)
        self.sessions: dict[dt.date, ExamSession] = {}
        self.saved: set[tuple[int, int]] = set()  # (student, number) with a submission already in the database
        self._reset()

    def _reset(self) -> None:
        self.submissions: list[Submission] = []
        self.latest: dict[tuple[int, int], Submission] = {}
        self.reviews: list[tuple[Submission, bool, int, dt.datetime]] = []
        self.choices: list[ModuleChoice] = []
        self.sittings: list[tuple[Sitting, str]] = []
        self.groups: list[tuple[Group, list[User], str, dt.date, set[int]]] = []

    def _moment(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(12, 0), tzinfo=self.course.tz)

    def review(self, student: User, number: int, *, passed: bool = True, bonus: int = 0, on: dt.date) -> None:
        submission = Submission(
            assignment=self.assignments[number],
            student=student,
            submitted_at=self._moment(on) - dt.timedelta(days=2),
            code=f"code/{student.pk}-{number}.zip",
            code_sha256="0" * 64,
            report=f"reports/{student.pk}-{number}.pdf",
            report_sha256="0" * 64,
        )
        key = (student.pk, number)
        if key in self.latest:  # a resubmission: the earlier one is no longer the latest
            self.latest[key].is_latest = False
        self.latest[key] = submission
        self.submissions.append(submission)
        self.reviews.append((submission, passed, bonus, self._moment(on)))

    def all_passed(self, student: User, *, bonus: int = 0, last_on: dt.date) -> None:
        """Assignments 1..N passed, the last one on `last_on` with all the bonus points."""
        count = len(self.assignments)
        for n in self.assignments:
            self.review(student, n, bonus=bonus if n == count else 0, on=last_on - dt.timedelta(days=7 * (count - n)))

    def exam_grade(self, student: User, grade: str, *, on: dt.date) -> None:
        if on not in self.sessions:
            self.sessions[on], _ = ExamSession.objects.get_or_create(
                exam=self.exam,
                day=on,
                defaults={"deadline_at": dt.datetime.combine(on, dt.time(18), tzinfo=self.course.tz)},
            )
        self.choices.append(ModuleChoice(course=self.course, student=student, choice="exam", updated_at=timezone.now()))
        self.sittings.append((Sitting(exam=self.exam, session=self.sessions[on], student=student), grade))

    def project_grade(
        self, students: Iterable[User], grade: str, *, on: dt.date, unconfirmed: Iterable[User] = ()
    ) -> None:
        members = list(students)
        group = Group(course=self.course, name=f"Group {len(self.groups) + 1}", approved_at=timezone.now())
        self.groups.append((group, members, grade, on, {u.pk for u in unconfirmed}))
        now = timezone.now()
        self.choices += [ModuleChoice(course=self.course, student=u, choice="project", updated_at=now) for u in members]

    def _points(self, grade: str) -> tuple[Decimal, Decimal]:
        exam = self.exam
        part2 = {"A": exam.grade_a, "B": exam.grade_b, "C": exam.grade_c, "D": exam.grade_d}
        if grade in part2 or grade == "E":
            return exam.part1_max, part2.get(grade, Decimal(0))
        return (exam.part1_pass - exam.fx_margin if grade == "Fx" else Decimal(0)), Decimal(0)

    def save(self) -> None:
        for student_id, number in self.saved & set(self.latest):
            Submission.objects.filter(assignment=self.assignments[number], student_id=student_id).update(
                is_latest=False
            )
        self.saved |= set(self.latest)
        Submission.objects.bulk_create(self.submissions)
        Review.objects.bulk_create(
            Review(submission=s, reviewer=self.examiner, passed=p, bonus=b, reviewed_at=at)
            for s, p, b, at in self.reviews
        )
        ModuleChoice.objects.bulk_create(self.choices)
        Sitting.objects.bulk_create(s for s, _ in self.sittings)
        marks = []
        for sitting, grade in self.sittings:
            part1, part2 = self._points(grade)
            marks.append(
                Mark(
                    sitting=sitting,
                    part1_points=part1,
                    part2_points=part2,
                    marked_by=self.examiner,
                    marked_at=timezone.now(),
                )
            )
        Mark.objects.bulk_create(marks)
        Group.objects.bulk_create(g for g, *_ in self.groups)
        GroupMember.objects.bulk_create(
            GroupMember(group=g, course=self.course, user=u) for g, members, *_ in self.groups for u in members
        )
        orals = [
            OralGrade(group=g, grade=grade, graded_on=on, graded_by=self.examiner) for g, _, grade, on, _ in self.groups
        ]
        OralGrade.objects.bulk_create(orals)
        MemberConfirmation.objects.bulk_create(
            MemberConfirmation(oral_grade=oral, user=u, confirmed=u.pk not in unconfirmed)
            for oral, (_, members, _, _, unconfirmed) in zip(orals, self.groups, strict=True)
            for u in members
        )
        self._reset()


def mixed_cohort(
    course: Course, student: User, other_student: User, results: "ResultsBuilder", day: dt.date
) -> list[User]:
    """Alice: exam C + 7 bonus (final B); Bob: exam Fx; three in a project D (returned); Quinn: nothing."""
    results.all_passed(student, bonus=7, last_on=day - dt.timedelta(days=10))
    results.exam_grade(student, "C", on=day)
    results.all_passed(other_student, last_on=day - dt.timedelta(days=3))
    results.exam_grade(other_student, "Fx", on=day)
    members = make_students(course, 3, prefix="p")
    for member in members:
        results.all_passed(member, bonus=1, last_on=day - dt.timedelta(days=20))
    results.project_grade(members, "D", on=day + dt.timedelta(days=2))
    make_students(course, 1, prefix="quinn")  # no results at all
    results.review(members[0], 1, on=day)  # a resubmission, passed later: LAB1 is completed that day
    results.save()
    return members
