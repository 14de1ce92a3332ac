"""The demo course's exam: student16..student30 chose the exam and voted, a date is picked; the rest do the project."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from coursesite.demo import EXAM_POLL, PROPOSAL_DEADLINE, DemoContext
from coursesite.uploads import minimal_pdf

from . import services
from .models import CandidateDate, ExamSession, ModuleChoice, PollVote

EXAM_STUDENTS = range(16, 31)  # student16..student30; student01..student15 do the project


def _demo_answer(student_number: int, day_index: int) -> str:
    # A fixed pattern, so every load gives the same poll: mostly yes early in the period, some "no".
    value = (student_number * 7 + day_index * 3) % 10
    if day_index == 0 or value < 5:
        return PollVote.Answer.YES
    return PollVote.Answer.MAYBE if value < 8 else PollVote.Answer.NO


def extend_demo(ctx: DemoContext) -> None:
    course = ctx.course
    exam = services.exam_for(course=course)
    exam.choice_cutoff = ctx.end_of(PROPOSAL_DEADLINE)
    exam.poll_closed_at = ctx.end_of(EXAM_POLL[1])
    exam.save(update_fields=["choice_cutoff", "poll_closed_at"])
    wanted = services.default_candidate_days(course=course)
    CandidateDate.objects.filter(exam=exam).exclude(day__in=wanted).delete()
    CandidateDate.objects.bulk_create([CandidateDate(exam=exam, day=d) for d in wanted], ignore_conflicts=True)
    candidates = list(CandidateDate.objects.filter(exam=exam))

    # Seeded rows, not services: the demo's poll lies in the course's future, where the services would refuse votes.
    for number, student in enumerate(ctx.students, start=1):
        choice = ModuleChoice.Option.EXAM if number in EXAM_STUDENTS else ModuleChoice.Option.PROJECT
        ModuleChoice.objects.update_or_create(
            course=course, student=student, defaults={"choice": choice, "updated_at": ctx.at(20, 12)}
        )
        if choice == ModuleChoice.Option.EXAM:
            for index, candidate in enumerate(candidates):
                PollVote.objects.update_or_create(
                    candidate=candidate, student=student, defaults={"answer": _demo_answer(number, index)}
                )

    if candidates and not ExamSession.objects.filter(exam=exam).exists():
        yes = {c.pk: c.votes.filter(answer=PollVote.Answer.YES).count() for c in candidates}
        best = max(candidates, key=lambda c: (yes[c.pk], -c.day.toordinal()))
        services.sessions_pick(
            exam=exam, days=[best.day], deadline_time=dt.time(15, 0), by=ctx.instructor, notify=False
        )
    services.sittings_assign(exam=exam, by=ctx.instructor, notify=False)
    for session in ExamSession.objects.filter(exam=exam, questions_name=""):
        upload = SimpleUploadedFile("questions.pdf", minimal_pdf("DD2424 take-home exam: Part I and Part II"))
        services.questions_upload(session=session, upload=upload, by=ctx.instructor)
