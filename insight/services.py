"""State changes of insight (keyword-only, transactional, audited): reminders, similarity checks and decisions."""

from __future__ import annotations

import logging
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assignments.archives import check_zip
from assignments.models import Assignment, Submission
from coursesite.audit import audit_record
from coursesite.invitations import site_url
from coursesite.models import User
from coursesite.uploads import MB, check_size, store_by_hash

from . import selectors, similarity
from .models import SimilarityCheck, SimilarityDocument, SimilarityPair

log = logging.getLogger(__name__)

ARCHIVE_MAX_BYTES = 200 * MB
BASE_MAX_BYTES = 20 * MB
SUBJECT_MAX = 200
BODY_MAX = 5000
# Pairs kept per check: enough for every pair of a small course and the top of a large one.
PAIRS_KEPT = 5000


def reminder_default(*, assignment: Assignment) -> tuple[str, str]:
    """The subject and text the reminder form starts with."""
    course = assignment.course
    deadline = timezone.localtime(assignment.deadline_at, course.tz)
    url = site_url(reverse("assignments:detail", args=[course.code, assignment.number]))
    subject = f"{course.code}: assignment {assignment.number} has not been submitted yet"
    body = (
        f"Hello,\n\nWe have no submission from you for assignment {assignment.number} ({assignment.title}) in "
        f"{course.code}. The deadline is {deadline:%A %-d %B %Y, %H:%M} ({course.timezone}); late work is accepted "
        f"and marked late.\n\nSubmit here: {url}\n\nIf you have left the course, please tell us.\n"
    )
    return subject, body


@transaction.atomic
def reminder_send(*, assignment: Assignment, by: User, subject: str, body: str, confirmed_ids: list[int]) -> int:
    """E-mail every active student who has not submitted, one message each (no one sees the others' addresses).

    `confirmed_ids` are the recipients the sender saw on the confirmation step; if the list has changed since
    (someone submitted), nothing is sent and the sender is asked to look again. Returns the number of e-mails sent.
    """
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValidationError("Write a subject and a message.")
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise ValidationError(f"Keep the subject under {SUBJECT_MAX} and the message under {BODY_MAX} characters.")
    recipients = selectors.students_not_submitted(assignment=assignment)
    if sorted(row.user_id for row in recipients) != sorted(confirmed_ids):
        raise ValidationError("The list of students without a submission has changed; check it again and confirm.")
    if not recipients:
        raise ValidationError("Everyone has submitted: there is no one to remind.")
    with_address = [row for row in recipients if row.email]
    messages = [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [row.email], reply_to=[by.email] if by.email else [])
        for row in with_address
    ]
    sent = get_connection().send_messages(messages) or 0
    audit_record(
        actor=by,
        action="reminder.send",
        course=assignment.course,
        target=assignment,
        subject=subject,
        sent=sent,
        recipients=[row.username for row in with_address],
        without_address=[row.username for row in recipients if not row.email],
    )
    return sent


def _store_optional(
    upload: UploadedFile[bytes] | None, *, folder: str, max_bytes: int, what: str, zip_only: bool
) -> str:
    if upload is None:
        return ""
    check_size(upload, max_bytes=max_bytes, what=what)
    name = (upload.name or "").lower()
    if zip_only or name.endswith(".zip"):
        check_zip(upload, what=what)
        extension = ".zip"
    elif name.endswith((".py", ".ipynb")):
        extension = name[name.rindex(".") :]
    else:
        raise ValidationError(f"The {what} must be a zip, a .py file or a notebook (.ipynb).")
    upload.seek(0)
    return store_by_hash(upload, folder=folder, extension=extension).name


@transaction.atomic
def similarity_request(
    *,
    assignment: Assignment,
    by: User,
    threshold: float,
    archive: UploadedFile[bytes] | None = None,
    base_code: UploadedFile[bytes] | None = None,
) -> SimilarityCheck:
    """Queue a similarity check of every student's latest code on the `cpu` queue (runs after the commit)."""
    if not 0 < threshold <= 1:
        raise ValidationError("The threshold is a share between 0 and 1 (e.g. 0.5 for 50 %).")
    archive_name = _store_optional(
        archive, folder="insight/archives", max_bytes=ARCHIVE_MAX_BYTES, what="archive of earlier terms", zip_only=True
    )
    base_name = _store_optional(
        base_code, folder="insight/base", max_bytes=BASE_MAX_BYTES, what="starter code", zip_only=False
    )
    check = SimilarityCheck.objects.create(
        assignment=assignment, requested_by=by, threshold=threshold, archive=archive_name, base_code=base_name
    )
    audit_record(
        actor=by,
        action="similarity.request",
        course=assignment.course,
        target=check,
        assignment=assignment.number,
        archive=bool(archive_name),
        base_code=bool(base_name),
    )
    check_id = check.pk
    transaction.on_commit(lambda: _send_check(check_id))
    return check


def _send_check(check_id: int) -> None:
    from .tasks import similarity_check

    try:
        similarity_check.apply_async(args=(check_id,), queue="cpu")
    except Exception:  # the broker is down: say so on the page instead of leaving it queued forever
        log.exception("could not send similarity check %s to the broker", check_id)
        SimilarityCheck.objects.filter(pk=check_id, state=SimilarityCheck.State.QUEUED).update(
            state=SimilarityCheck.State.ERROR, error="The task queue could not be reached; try again."
        )


def _read(name: str, label: str) -> str:
    with default_storage.open(name, "rb") as handle:
        return similarity.upload_code(label, handle)


def similarity_run(*, check_id: int) -> SimilarityCheck | None:
    """Run one check (in the worker, or in-process from the management command) and store its ranked pairs."""
    claimed = SimilarityCheck.objects.filter(pk=check_id, state=SimilarityCheck.State.QUEUED).update(
        state=SimilarityCheck.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    check = SimilarityCheck.objects.select_related("assignment__course").get(pk=check_id)
    try:
        _compute(check)
    except (OSError, zipfile.BadZipFile, ValueError) as error:
        log.exception("similarity check %s failed", check_id)
        SimilarityCheck.objects.filter(pk=check_id).update(
            state=SimilarityCheck.State.ERROR, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
    return SimilarityCheck.objects.get(pk=check_id)


def _compute(check: SimilarityCheck) -> None:
    assignment = check.assignment
    base_texts, base_names = [], []
    if assignment.handout and assignment.handout.name:
        text = _read(assignment.handout.name, assignment.handout_name or assignment.handout.name)
        if text.strip():
            base_texts.append(text)
            base_names.append(assignment.handout_name or "handout")
    if check.base_code and check.base_code.name:
        base_texts.append(_read(check.base_code.name, check.base_code.name))
        base_names.append("uploaded starter code")
    latest = (
        Submission.objects.filter(assignment=assignment, is_latest=True)
        .select_related("student")
        .order_by("student__username")
    )
    documents: list[similarity.Document[SimilarityDocument]] = []
    rows: list[SimilarityDocument] = []
    unreadable = []
    for submission in latest:
        try:
            with submission.code.open("rb") as handle:
                text = similarity.zip_code(handle)
        except (OSError, zipfile.BadZipFile):
            log.exception("similarity check %s: cannot read %s's code", check.pk, submission.student.username)
            unreadable.append(submission.student.username)
            continue
        row = SimilarityDocument(
            check_run=check, label=submission.student.username, student=submission.student, submission=submission
        )
        row.text = text
        rows.append(row)
        documents.append(similarity.Document(row, text))
    if check.archive and check.archive.name:
        with default_storage.open(check.archive.name, "rb") as handle:
            for label, text in similarity.archive_documents(handle):
                row = SimilarityDocument(check_run=check, label=f"archive:{label}"[:300], text=text)
                rows.append(row)
                documents.append(similarity.Document(row, text, is_archive=True))
    matches = similarity.compare(documents, base_texts)[:PAIRS_KEPT]
    with transaction.atomic():
        SimilarityDocument.objects.bulk_create(rows)
        SimilarityPair.objects.bulk_create(
            [
                SimilarityPair(
                    check_run=check,
                    a=m.a.key,
                    b=m.b.key,
                    similarity=m.similarity,
                    similarity_a=m.similarity_a,
                    similarity_b=m.similarity_b,
                    overlap_tokens=m.overlap_tokens,
                    slices_a=m.slices_a,
                    slices_b=m.slices_b,
                )
                for m in matches
            ],
            batch_size=500,
        )
        SimilarityCheck.objects.filter(pk=check.pk).update(
            state=SimilarityCheck.State.FINISHED,
            finished_at=timezone.now(),
            documents_count=len(rows),
            base_names=base_names,
            error=f"Left out, their code could not be read: {', '.join(unreadable)}." if unreadable else "",
        )


@transaction.atomic
def pair_decide(*, pair: SimilarityPair, by: User, decision: str, note: str) -> SimilarityPair:
    """Mark a pair "reviewed, fine" or "refer to examiner" (or open again), with a note; audited."""
    if decision not in SimilarityPair.Decision.values:
        raise ValidationError("Choose “reviewed, fine” or “refer to examiner”.")
    note = note.strip()
    if len(note) > BODY_MAX:
        raise ValidationError(f"Keep the note under {BODY_MAX} characters.")
    if decision == SimilarityPair.Decision.REFER and not note:
        raise ValidationError("Say in the note why the pair goes to the examiner.")
    pair = (
        SimilarityPair.objects.select_for_update()
        .select_related("a", "b", "check_run__assignment__course")
        .get(pk=pair.pk)
    )
    before = pair.decision
    pair.decision, pair.note, pair.decided_by, pair.decided_at = decision, note, by, timezone.now()
    pair.save(update_fields=["decision", "note", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        action="similarity_pair.decide",
        course=pair.check_run.assignment.course,
        target=pair,
        a=pair.a.label,
        b=pair.b.label,
        similarity=round(pair.similarity, 4),
        decision=decision,
        before=before,
        note=note,
    )
    return pair
