"""Reads of the exam app, each a fixed number of queries whatever the number of students."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from coursesite.models import Course, Membership, Role, User
from coursesite.results import ModuleResult

from . import rules
from .models import Answer, CandidateDate, Exam, ExamSession, Mark, ModuleChoice, PollVote, Sitting


def module_choices(*, course: Course) -> dict[int, str]:
    """{user_id: "project" | "exam"} for the students who made a choice (one query)."""
    return dict(ModuleChoice.objects.filter(course=course).values_list("student_id", "choice"))


def exam_results(*, course: Course) -> dict[int, ModuleResult]:
    """{user_id: ModuleResult} for every marked exam: the grade, the session's date and how the grade follows."""
    exam = Exam.objects.filter(course=course).first()
    if exam is None:
        return {}
    results = {}
    for mark in Mark.objects.filter(sitting__exam=exam).select_related("sitting__session"):
        grade, explanation = rules.grade_of(exam=exam, mark=mark)
        results[mark.sitting.student_id] = ModuleResult(
            grade=grade, completed_on=mark.sitting.session.day, note=explanation
        )
    return results


@dataclass
class PollRow:
    student: User
    answers: list[str]  # one per candidate, "" when not answered


@dataclass
class PollTable:
    candidates: list[CandidateDate]
    rows: list[PollRow]
    totals: list[dict[str, int]]  # per candidate: {"yes": n, "maybe": n, "no": n}


def poll_table(*, exam: Exam) -> PollTable:
    """Active students who chose the exam against the candidate dates, with totals (three queries)."""
    candidates = list(CandidateDate.objects.filter(exam=exam))
    students = [
        c.student
        for c in ModuleChoice.objects.filter(
            course_id=exam.course_id,
            choice=ModuleChoice.Option.EXAM,
            student__memberships__course_id=exam.course_id,
            student__memberships__withdrawn_at__isnull=True,
        )
        .select_related("student")
        .order_by("student__username")
    ]
    answers = {
        (v.student_id, v.candidate_id): v.answer
        for v in PollVote.objects.filter(
            candidate__exam=exam,
            student__module_choices__course_id=exam.course_id,
            student__module_choices__choice=ModuleChoice.Option.EXAM,
        )
    }
    rows = [PollRow(s, [answers.get((s.pk, c.pk), "") for c in candidates]) for s in students]
    totals = [
        {a: sum(1 for r in rows if r.answers[i] == a) for a in PollVote.Answer.values} for i in range(len(candidates))
    ]
    return PollTable(candidates, rows, totals)


def my_votes(*, exam: Exam, student: User) -> dict[dt.date, str]:
    return {
        v.candidate.day: v.answer
        for v in PollVote.objects.filter(candidate__exam=exam, student=student).select_related("candidate")
    }


def sessions_of(*, exam: Exam) -> list[ExamSession]:
    return list(
        ExamSession.objects.filter(exam=exam)
        .select_related("exam__course")
        .annotate(seats=Count("sittings"), answers=Count("sittings__answer"))
    )


def sitting_of(*, exam: Exam, student: User) -> Sitting | None:
    return (
        Sitting.objects.filter(exam=exam, student=student)
        .select_related("session__exam__course", "answer", "mark")
        .first()
    )


def sittings_for_marking(*, exam: Exam) -> list[Sitting]:
    """Every seated student with their answer and mark; unmarked answers first."""
    sittings = list(
        Sitting.objects.filter(exam=exam)
        .select_related("student", "session__exam__course", "answer", "mark")
        .order_by("session__day", "student__username")
    )

    def has(sitting: Sitting, name: str) -> bool:
        try:
            getattr(sitting, name)
        except (Answer.DoesNotExist, Mark.DoesNotExist):
            return False
        return True

    for sitting in sittings:
        sitting.has_answer = has(sitting, "answer")  # type: ignore[attr-defined]
        sitting.has_mark = has(sitting, "mark")  # type: ignore[attr-defined]
        sitting.grade = rules.grade_of(exam=exam, mark=sitting.mark) if sitting.has_mark else None  # type: ignore[attr-defined]
    sittings.sort(key=lambda s: (not (s.has_answer and not s.has_mark), s.session.day, s.student.username))  # type: ignore[attr-defined]
    return sittings


@dataclass
class StaffCounts:
    chose_exam: int = 0
    chose_project: int = 0
    undecided: int = 0
    voted: int = 0
    answers: int = 0
    to_mark: int = 0


def staff_counts(*, course: Course) -> StaffCounts:
    choices = ModuleChoice.objects.filter(
        course=course, student__memberships__course=course, student__memberships__withdrawn_at__isnull=True
    ).aggregate(
        exam=Count("id", filter=Q(choice=ModuleChoice.Option.EXAM)),
        project=Count("id", filter=Q(choice=ModuleChoice.Option.PROJECT)),
    )
    students = Membership.objects.filter(course=course, role=Role.STUDENT, withdrawn_at__isnull=True).count()
    voted = (
        PollVote.objects.filter(
            candidate__exam__course=course,
            student__module_choices__course=course,
            student__module_choices__choice=ModuleChoice.Option.EXAM,
        )
        .values("student_id")
        .distinct()
        .count()
    )
    answers = Answer.objects.filter(sitting__exam__course=course).aggregate(
        total=Count("id"), unmarked=Count("id", filter=Q(sitting__mark__isnull=True))
    )
    return StaffCounts(
        chose_exam=choices["exam"],
        chose_project=choices["project"],
        undecided=max(students - choices["exam"] - choices["project"], 0),
        voted=voted,
        answers=answers["total"],
        to_mark=answers["unmarked"],
    )
