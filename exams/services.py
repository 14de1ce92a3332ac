"""Every state change of the exam app: transactional, checked, audited."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from coursesite.audit import audit_record
from coursesite.errors import Refused
from coursesite.models import Course, User
from coursesite.uploads import check_pdf, store_by_hash
from grading.locks import require_reason_if_locked

from . import access, clock, rules
from .models import Answer, CandidateDate, Exam, ExamSession, Mark, ModuleChoice, PollVote, Sitting


def exam_for(*, course: Course) -> Exam:
    """The course's exam, created with default settings and the candidate dates (the exam period's weekdays)."""
    exam = Exam.objects.filter(course=course).select_related("course").first()
    if exam is not None:
        return exam
    with transaction.atomic():
        exam, created = Exam.objects.select_related("course").get_or_create(course=course)
        if created:
            CandidateDate.objects.bulk_create(
                [CandidateDate(exam=exam, day=day) for day in default_candidate_days(course=course)],
                ignore_conflicts=True,
            )
    return exam


def default_candidate_days(*, course: Course) -> list[dt.date]:
    start, end = course.exam_period_start, course.exam_period_end
    if start is None or end is None:
        return []
    days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return [day for day in days if day.weekday() < 5]


@transaction.atomic
def exam_update(*, exam: Exam, by: User, **fields: object) -> Exam:
    access.require_examiner(user=by, course=exam.course)
    unknown = set(fields) - set(Exam.SETTINGS_FIELDS)
    if unknown:
        raise Refused(f"These exam settings cannot be changed here: {', '.join(sorted(unknown))}.")
    exam = Exam.objects.select_for_update().select_related("course").get(pk=exam.pk)
    for name, value in fields.items():
        setattr(exam, name, value)
    exam.full_clean()
    exam.save()
    audit_record(
        actor=by,
        action="exam_settings.update",
        course=exam.course,
        target=exam,
        **{k: str(v) for k, v in fields.items()},
    )
    return exam


@transaction.atomic
def candidates_set(*, exam: Exam, days: Iterable[dt.date], by: User) -> list[CandidateDate]:
    access.require_examiner(user=by, course=exam.course)
    """Replace the poll's candidate dates (before anyone voted on the dates that go)."""
    days = sorted(set(days))
    if not days:
        raise Refused("The poll needs at least one candidate date.")
    going = CandidateDate.objects.filter(exam=exam).exclude(day__in=days)
    if PollVote.objects.filter(candidate__in=going).exists():
        raise Refused("Students have already answered for a date you are removing; keep it in the poll.")
    going.delete()
    CandidateDate.objects.bulk_create([CandidateDate(exam=exam, day=d) for d in days], ignore_conflicts=True)
    audit_record(actor=by, action="candidate_date.set", course=exam.course, target=exam, days=[str(d) for d in days])
    return list(CandidateDate.objects.filter(exam=exam))


@transaction.atomic
def module_choose(*, course: Course, student: User, choice: str) -> ModuleChoice:
    """Record or change the student's choice of project or exam, until the examiner's cutoff."""
    access.require_exam_student(user=student, course=course)
    if choice not in ModuleChoice.Option.values:
        raise Refused("Choose either the project or the exam.")
    exam = exam_for(course=course)
    now = clock.now()
    if not rules.choice_open(exam=exam, now=now):
        raise Refused(f"The choice between project and exam closed at {rules.local(course, exam.choice_cutoff)}.")
    existing = ModuleChoice.objects.select_for_update().filter(course=course, student=student).first()
    if existing is not None and existing.choice == choice:
        return existing
    sitting = Sitting.objects.select_for_update().filter(exam=exam, student=student).first()
    if choice == ModuleChoice.Option.PROJECT and sitting is not None:
        if Answer.objects.filter(sitting=sitting).exists():
            raise Refused("You have already handed in exam answers, so you cannot switch to the project.")
        sitting.delete()
    record, _ = ModuleChoice.objects.update_or_create(
        course=course, student=student, defaults={"choice": choice, "updated_at": now}
    )
    audit_record(
        actor=student,
        action="module.choose",
        course=course,
        target=record,
        choice=choice,
        previous=existing.choice if existing else None,
    )
    if choice == ModuleChoice.Option.EXAM and ExamSession.objects.filter(exam=exam).exists():
        _seat(exam=exam, by=student, notify=True)
    return record


@transaction.atomic
def poll_vote(*, course: Course, student: User, answers: dict[dt.date, str]) -> list[PollVote]:
    """Answer yes / if need be / no for candidate dates; editable while the poll is open."""
    access.require_exam_student(user=student, course=course)
    if not answers:
        raise Refused("Answer at least one date.")
    exam = exam_for(course=course)
    # Locking the student's choice row serialises their own parallel ballots (and a parallel change of choice).
    chosen = ModuleChoice.objects.select_for_update().filter(course=course, student=student).first()
    if chosen is None or chosen.choice != ModuleChoice.Option.EXAM:
        raise Refused("Only students who chose the exam answer the date poll. Choose the exam first.")
    if not rules.poll_open(exam=exam, now=clock.now()):
        raise Refused("The exam date poll is not open.")
    candidates = {c.day: c for c in CandidateDate.objects.filter(exam=exam)}
    unknown = [day for day in answers if day not in candidates]
    if unknown:
        raise Refused(f"{unknown[0]:%a %-d %b %Y} is not one of the poll's dates.")
    bad = [a for a in answers.values() if a not in PollVote.Answer.values]
    if bad:
        raise Refused("Answer each date with yes, if need be, or no.")
    votes = []
    for day, answer in answers.items():
        vote, _ = PollVote.objects.update_or_create(
            candidate=candidates[day], student=student, defaults={"answer": answer}
        )
        votes.append(vote)
    audit_record(
        actor=student,
        action="poll.vote",
        course=course,
        target=exam,
        answers={str(day): answer for day, answer in answers.items()},
    )
    return votes


@transaction.atomic
def poll_close(*, exam: Exam, by: User) -> Exam:
    access.require_examiner(user=by, course=exam.course)
    exam = Exam.objects.select_for_update().select_related("course").get(pk=exam.pk)
    if exam.poll_closed_at is None:
        exam.poll_closed_at = clock.now()
        exam.save(update_fields=["poll_closed_at"])
        audit_record(actor=by, action="poll.close", course=exam.course, target=exam)
    return exam


@transaction.atomic
def poll_reopen(*, exam: Exam, closes_at: dt.datetime, by: User) -> Exam:
    access.require_examiner(user=by, course=exam.course)
    """Open the date poll again until `closes_at` (before any date is picked): votes kept, students may change them."""
    exam = Exam.objects.select_for_update().select_related("course").get(pk=exam.pk)
    course = Course.objects.select_for_update().get(pk=exam.course_id)
    first = ExamSession.objects.filter(exam=exam).order_by("day").first()
    if first is not None:
        raise Refused(
            f"The exam date is already picked ({first.day:%a %-d %b %Y}); the poll cannot be reopened after that."
        )
    now = clock.now()
    if closes_at <= now:
        raise Refused("The poll would be closed already: choose a closing moment in the future.")
    old_closes = rules.local(course, course.exam_poll_closes)
    course.exam_poll_closes = closes_at
    if course.exam_poll_opens is None or course.exam_poll_opens > now:
        course.exam_poll_opens = now
    course.full_clean()
    course.save(update_fields=["exam_poll_opens", "exam_poll_closes"])
    exam.course = course
    exam.poll_closed_at = None
    exam.save(update_fields=["poll_closed_at"])
    audit_record(
        actor=by,
        action="poll.reopen",
        course=course,
        target=exam,
        old_closes=old_closes,
        closes=rules.local(course, closes_at),
    )
    return exam


@transaction.atomic
def sessions_pick(
    *,
    exam: Exam,
    days: Iterable[dt.date],
    deadline_time: dt.time,
    deadline_days_after: int = 0,
    by: User,
    notify: bool = True,
) -> list[ExamSession]:
    access.require_examiner(user=by, course=exam.course)
    """Close the poll, create a session for each picked date, seat the students who chose the exam, email them."""
    days = sorted(set(days))
    if not days:
        raise Refused("Pick at least one exam date.")
    if deadline_days_after < 0:
        raise Refused("The answer deadline cannot be before the exam day.")
    exam = poll_close(exam=exam, by=by)
    course = exam.course
    existing = set(ExamSession.objects.filter(exam=exam, day__in=days).values_list("day", flat=True))
    if existing:
        raise Refused(f"{min(existing):%a %-d %b %Y} is already an exam session.")
    created = []
    for day in days:
        deadline = dt.datetime.combine(day + dt.timedelta(days=deadline_days_after), deadline_time, tzinfo=course.tz)
        session = ExamSession(exam=exam, day=day, deadline_at=deadline)
        session.full_clean(exclude=["exam"])
        session.save()
        created.append(session)
    audit_record(
        actor=by,
        action="exam_session.pick",
        course=course,
        target=exam,
        days=[str(d) for d in days],
        deadline_time=deadline_time.isoformat(),
        deadline_days_after=deadline_days_after,
    )
    _seat(exam=exam, by=by, notify=notify)
    return created


@transaction.atomic
def sittings_assign(*, exam: Exam, by: User, notify: bool = True) -> list[Sitting]:
    """Seat every student who chose the exam and has no session: by their votes, then the emptiest session."""
    access.require_examiner(user=by, course=exam.course)
    return _seat(exam=exam, by=by, notify=notify)


def _seat(*, exam: Exam, by: User, notify: bool) -> list[Sitting]:
    """`sittings_assign`'s work, also done when a session is picked and when a student chooses the exam late."""
    course = exam.course
    Exam.objects.select_for_update().filter(pk=exam.pk).first()  # one seating at a time per exam
    sessions = list(ExamSession.objects.filter(exam=exam).select_related("exam__course"))
    if not sessions:
        return []
    seated = set(Sitting.objects.filter(exam=exam).values_list("student_id", flat=True))
    students = [
        c.student
        for c in ModuleChoice.objects.filter(course=course, choice=ModuleChoice.Option.EXAM)
        .exclude(student_id__in=seated)
        .select_related("student")
        .order_by("student__username")
    ]
    preference: dict[str, int] = {PollVote.Answer.YES: 0, PollVote.Answer.MAYBE: 1, PollVote.Answer.NO: 2}
    votes: dict[tuple[int, dt.date], str] = {
        (v.student_id, v.candidate.day): v.answer
        for v in PollVote.objects.filter(candidate__exam=exam, student__in=students).select_related("candidate")
    }
    load: dict[int, int] = {s.pk: 0 for s in sessions}
    for session_id in Sitting.objects.filter(exam=exam).values_list("session_id", flat=True):
        load[session_id] += 1
    sittings = []
    for student in students:
        # An unanswered date counts like "if need be": the student did not rule it out.
        best = min(
            sessions,
            key=lambda s: (preference[votes.get((student.pk, s.day), PollVote.Answer.MAYBE)], load[s.pk], s.day),
        )
        load[best.pk] += 1
        sittings.append(Sitting(exam=exam, session=best, student=student))
    Sitting.objects.bulk_create(sittings)
    for sitting in sittings:
        audit_record(
            actor=by,
            action="sitting.assign",
            course=course,
            target=exam,
            student=sitting.student.username,
            day=str(sitting.session.day),
        )
    if notify and sittings:
        messages = [_session_email(sitting) for sitting in sittings if sitting.student.email]
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return sittings


def _session_email(sitting: Sitting) -> tuple[str, str, str, list[str]]:
    session = sitting.session
    course = sitting.exam.course
    url = f"{settings.SITE_URL}{reverse('exams:home', args=[course.code])}"
    body = (
        f"Hello {sitting.student.display_name},\n\n"
        f"Your take-home exam in {course.code} {course.name} is on {session.day:%A %-d %B %Y}.\n"
        f"The questions are published on the course site at {rules.local(course, session.releases_at)}.\n"
        f"Upload your answers (PDF) before {rules.local(course, session.deadline_at)}; the deadline is hard.\n\n"
        f"{url}\n"
    )
    subject = f"{course.code}: your exam date is {session.day:%A %-d %B}"
    return subject, body, settings.DEFAULT_FROM_EMAIL, [sitting.student.email]


@transaction.atomic
def sitting_move(*, sitting: Sitting, session: ExamSession, by: User) -> Sitting:
    access.require_own_sitting(user=by, sitting=sitting)
    """Move a student to another picked date; a student may do so only before either date's questions are out."""
    sitting = Sitting.objects.select_for_update().select_related("session", "exam__course").get(pk=sitting.pk)
    if session.exam_id != sitting.exam_id:
        raise Refused("That session belongs to another exam.")
    is_staff = by.pk != sitting.student_id
    now = clock.now()
    if not is_staff and (now >= sitting.session.releases_at or now >= session.releases_at):
        raise Refused("You can change your exam date only before the questions of either date are out.")
    if Answer.objects.filter(sitting=sitting).exists():
        raise Refused("Answers were already handed in for this sitting; it cannot move.")
    previous = sitting.session.day
    sitting.session = session
    sitting.save(update_fields=["session"])
    audit_record(
        actor=by,
        action="sitting.move",
        course=sitting.exam.course,
        target=sitting,
        student=sitting.student.username,
        previous=str(previous),
        day=str(session.day),
    )
    return sitting


@transaction.atomic
def session_update(*, session: ExamSession, deadline_at: dt.datetime, by: User) -> ExamSession:
    access.require_examiner(user=by, course=session.exam.course)
    session = ExamSession.objects.select_for_update().select_related("exam__course").get(pk=session.pk)
    previous = session.deadline_at
    session.deadline_at = deadline_at
    session.full_clean(exclude=["exam"])
    session.save(update_fields=["deadline_at"])
    audit_record(
        actor=by,
        action="exam_session.update",
        course=session.exam.course,
        target=session,
        previous=previous.isoformat(),
        deadline_at=deadline_at.isoformat(),
    )
    return session


@transaction.atomic
def questions_upload(*, session: ExamSession, upload: UploadedFile[Any], by: User) -> ExamSession:
    access.require_examiner(user=by, course=session.exam.course)
    """Store the questions PDF under a random name; only the questions view hands it out, after the release."""
    check_pdf(upload, what="questions file")
    session = ExamSession.objects.select_for_update().select_related("exam__course").get(pk=session.pk)
    upload.seek(0)
    name = default_storage.save(f"exam-questions/{secrets.token_urlsafe(32)}.pdf", upload)
    previous = session.questions_name
    session.questions_name = name
    session.questions_original_name = (upload.name or "questions.pdf")[:255]
    session.questions_uploaded_at = clock.now()
    session.save(update_fields=["questions_name", "questions_original_name", "questions_uploaded_at"])
    if previous and previous != name:
        transaction.on_commit(lambda: default_storage.delete(previous))
    audit_record(
        actor=by,
        action="exam_questions.upload",
        course=session.exam.course,
        target=session,
        day=str(session.day),
        replaced=bool(previous),
    )
    return session


@transaction.atomic
def answer_upload(*, sitting: Sitting, upload: UploadedFile[Any] | None, by: User) -> Answer:
    """Take the student's answer PDF (or replace it) between the release and the deadline; hard deadline."""
    access.require_own_sitting(user=by, sitting=sitting)
    if upload is None:
        raise Refused("Choose your answer PDF to upload.")
    sitting = Sitting.objects.select_for_update().select_related("session__exam__course", "student").get(pk=sitting.pk)
    course = sitting.exam.course
    now = clock.now()
    if now < sitting.session.releases_at:
        raise Refused(
            f"The exam has not started: the questions are out at {rules.local(course, sitting.session.releases_at)}."
        )
    if now >= sitting.deadline_at:
        raise Refused(
            f"The deadline for exam answers was {rules.local(course, sitting.deadline_at)}; "
            "uploads are no longer accepted. Contact the examiner if something went wrong."
        )
    pages = check_pdf(upload, what="answer")
    stored = store_by_hash(upload, folder="exam-answers", extension=".pdf")
    under_extension = now >= sitting.session.deadline_at
    previous = Answer.objects.filter(sitting=sitting).first()
    answer, _ = Answer.objects.update_or_create(
        sitting=sitting,
        defaults={
            "file_name": stored.name,
            "original_name": stored.original_name[:255],
            "sha256": stored.sha256,
            "size": stored.size,
            "pages": pages,
            "uploaded_at": now,
            "under_extension": under_extension,
        },
    )
    audit_record(
        actor=by,
        action="exam_answer.upload",
        course=course,
        target=answer,
        sha256=stored.sha256,
        replaced=previous.sha256 if previous else None,
        under_extension=under_extension,
    )
    return answer


@transaction.atomic
def extension_grant(*, sitting: Sitting, until: dt.datetime | None, reason: str, by: User) -> Sitting:
    """Give one student a later answer deadline (accommodations), or take it away with until=None."""
    access.require_examiner(user=by, course=sitting.exam.course)
    sitting = Sitting.objects.select_for_update().select_related("session__exam__course", "student").get(pk=sitting.pk)
    if until is not None:
        if until <= sitting.session.deadline_at:
            raise Refused("An extension must end after the session's deadline.")
        if not reason.strip():
            raise Refused("Write the reason for the extension (it is kept in the audit log).")
    previous = sitting.extended_until
    sitting.extended_until = until
    sitting.extension_reason = reason.strip()[:200] if until else ""
    sitting.save(update_fields=["extended_until", "extension_reason"])
    audit_record(
        actor=by,
        action="exam_extension.grant" if until else "exam_extension.revoke",
        course=sitting.exam.course,
        target=sitting,
        student=sitting.student.username,
        until=until.isoformat() if until else None,
        previous=previous.isoformat() if previous else None,
        reason=reason.strip(),
    )
    return sitting


@transaction.atomic
def mark_record(
    *,
    sitting: Sitting,
    part1_passed: bool | None = None,
    part1_points: Decimal | None = None,
    part2_points: Decimal | None,
    by: User,
    reason: str = "",
) -> Mark:
    """Record Part I (pass/fail or points, as the exam is set up) and Part II points for a handed-in answer.

    Once the student's final grade is locked, a changed mark needs a reason.
    """
    access.require_marker(user=by, course=sitting.exam.course)
    sitting = Sitting.objects.select_for_update().select_related("exam__course", "student").get(pk=sitting.pk)
    exam = sitting.exam
    if not Answer.objects.filter(sitting=sitting).exists():
        raise Refused("There is no answer to mark for this student.")
    if exam.part1_marking == Exam.Part1Marking.POINTS:
        if part1_points is None:
            raise ValidationError({"part1_points": "Enter the Part I points."})
        if not 0 <= part1_points <= exam.part1_max:
            raise ValidationError({"part1_points": f"Part I points must be between 0 and {exam.part1_max}."})
        part1_passed = None
    else:
        if part1_passed is None:
            raise ValidationError({"part1_passed": "Say whether Part I is passed."})
        part1_points = None
    part2 = part2_points if part2_points is not None else Decimal(0)
    if not 0 <= part2 <= exam.part2_max:
        raise ValidationError({"part2_points": f"Part II points must be between 0 and {exam.part2_max}."})
    previous = Mark.objects.filter(sitting=sitting).first()
    old_grade = rules.grade_of(exam=exam, mark=previous)[0] if previous else None
    if previous is None or (previous.part1_passed, previous.part1_points, previous.part2_points) != (
        part1_passed,
        part1_points,
        part2,
    ):
        # After finalising, a change behind a locked final grade needs a reason (grading's rule).
        reason = require_reason_if_locked(
            course=exam.course,
            student_ids=[sitting.student_id],
            reason=reason,
            what=f"the exam mark of {sitting.student.display_name}",
        )
    try:
        mark, _ = Mark.objects.update_or_create(
            sitting=sitting,
            defaults={
                "part1_passed": part1_passed,
                "part1_points": part1_points,
                "part2_points": part2,
                "marked_by": by,
                "marked_at": clock.now(),
            },
        )
    except IntegrityError as exc:  # two markers at once: the second one retries
        raise Refused("Someone else saved a mark at the same moment; reload and try again.") from exc
    grade, _ = rules.grade_of(exam=exam, mark=mark)
    audit_record(
        actor=by,
        action="exam_mark.record",
        course=exam.course,
        target=mark,
        student=sitting.student.username,
        part1_passed=part1_passed,
        part1_points=str(part1_points) if part1_points is not None else None,
        part2_points=str(part2),
        old_grade=old_grade,
        grade=grade,
        reason=(reason or "").strip(),
    )
    return mark
