"""Assignment and Grade Services 2.0: scores go to the LMS course's gradebook, one line item (column) per
assignment and one for the final grade, each made once and remembered (`LineItem`).

A recorded review (or a regrade's new outcome) and a finalised (or changed) final grade are recorded here as a
`ScoreSend` in the same transaction, and sent after it commits by the Celery task `lti.score_send`, which retries
while the LMS is unreachable or failing (network errors, HTTP 5xx or 429) and records every other refusal with
its reason in words. Only courses whose platform gave an AGS endpoint with the score scope get any of it.
Access tokens (client credentials with the tool's signed assertion) are never logged nor stored."""

import datetime as dt
import json
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coursesite.access import require_staff
from coursesite.audit import audit_record
from coursesite.models import Course, User
from sso.models import ExternalIdentity

from .models import LineItem, Platform, ScoreSend
from .nrps import LmsServiceError, access_token

if TYPE_CHECKING:
    from assignments.models import Assignment
    from grading.models import FinalGrade

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
LINEITEM_SCOPE, SCORE_SCOPE = AGS + "lineitem", AGS + "score"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
TAG = "coursesite"
LOOKUP_PAGES = 20
# The final grade as points, so a numeric gradebook column can show it (the letter is in the comment too).
log = logging.getLogger(__name__)
GRADE_POINTS = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1, "Fx": 0, "F": 0}
FINAL_LABEL = "Final grade (A=5 ... E=1, F=0)"
ALLOWS = "the Assignment and Grade Services scopes (line items and scores)"


class LmsUnavailable(Exception):
    """The LMS could not be reached or failed with a server error: the task tries again later."""


def _platforms_with_ags(course: Course) -> list[Platform]:
    return [p for p in Platform.objects.filter(course=course).exclude(lineitems_url="") if SCORE_SCOPE in p.ags_scopes]


def _queue_on_commit(sends: list[ScoreSend]) -> None:
    if not sends:
        return
    ids = [send.pk for send in sends]

    def enqueue() -> None:
        from .tasks import score_send

        for send_id in ids:
            score_send.delay(send_id)

    # robust: a broker that is down must not fail the review that was just recorded; the send stays pending.
    transaction.on_commit(enqueue, robust=True)


# Recording what to send (called inside the transaction that records the result) --------------------------------


def assignment_score_queue(*, assignment: "Assignment", student: User, passed: bool, bonus: int) -> None:
    """A review's (or regrade's) outcome for the gradebook: a pass is 1 point and each bonus point one more, out of
    1 + the assignment's bonus maximum; a fail is 0."""
    platforms = _platforms_with_ags(assignment.course)
    if not platforms:
        return
    comment = ("Pass" if passed else "Fail") + (f", {bonus} bonus point{'s' if bonus != 1 else ''}" if bonus else "")
    now = timezone.now()
    sends = [
        ScoreSend.objects.create(
            platform=platform,
            item=f"assignment:{assignment.number}",
            label=f"Assignment {assignment.number}: {assignment.title}"[:255],
            student=student,
            score_given=Decimal(1 + bonus if passed else 0),
            score_maximum=Decimal(1 + assignment.bonus_max),
            comment=comment,
            scored_at=now,
        )
        for platform in platforms
    ]
    _queue_on_commit(sends)


def final_grades_queue(*, course: Course, grades: Iterable["FinalGrade"]) -> None:
    """Locked final grades for the gradebook. A student without a grade is left out, unless a grade of theirs was
    sent before: then the LMS's score is cleared."""
    platforms = _platforms_with_ags(course)
    if not platforms:
        return
    now = timezone.now()
    sends = []
    for platform in platforms:
        for grade in grades:
            points = GRADE_POINTS.get(grade.grade)
            if (
                points is None
                and not ScoreSend.objects.filter(platform=platform, item="final", student_id=grade.student_id).exists()
            ):
                continue
            sends.append(
                ScoreSend.objects.create(
                    platform=platform,
                    item="final",
                    label="Final grade",
                    student_id=grade.student_id,
                    score_given=Decimal(points) if points is not None else None,
                    score_maximum=Decimal(5),
                    comment=f"Final grade {grade.grade}" if points is not None else "No final grade",
                    scored_at=now,
                )
            )
    _queue_on_commit(sends)


# Sending (the Celery task) ----------------------------------------------------------------------------------------


def _lms_message(response: requests.Response) -> str:
    """The LMS's own words about a refusal (Canvas: {"errors": {"message": ...}} or {"errors": [{"message"}]})."""
    try:
        body: Any = response.json()
    except ValueError:
        return response.text.strip()[:200] if "text/plain" in response.headers.get("content-type", "") else ""
    for _depth in range(4):
        if isinstance(body, list) and body:
            body = body[0]
        elif isinstance(body, dict):
            found = next((body[k] for k in ("errors", "message", "error_description", "error") if k in body), None)
            if found is None:
                return ""
            body = found
        else:
            break
    return str(body).strip()[:200] if isinstance(body, str | int | float) else ""


def _refusal(response: requests.Response, send: ScoreSend) -> str:
    """Why the LMS refused, in words the course's staff can act on (Canvas's known refusals first)."""
    status, said = response.status_code, _lms_message(response)
    quoted = f' (it said: "{said}")' if said else ""
    words = said.lower()
    if "not a student" in words or "user not found" in words:
        return (
            f"The LMS does not have {send.student.full_name or send.student.username} as a student in its course"
            f"{quoted}. Add them to the LMS course as a student, then send again."
        )
    if "not published" in words or "unpublished" in words or "not available" in words:
        return f"The LMS course is not published, so it takes no grades yet{quoted}. Publish it, then send again."
    if status in (401, 403):
        return (
            f"The LMS refused coursesite's access to its gradebook (HTTP {status}){quoted}: check that the "
            f"developer key is on and allows {ALLOWS}."
        )
    return f"The LMS refused the score (HTTP {status}){quoted}."


def _call(method: str, url: str, *, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": "Bearer " + token, **kwargs.pop("headers", {})}
    try:
        response = requests.request(method, url, headers=headers, timeout=20, **kwargs)
    except requests.RequestException as exc:
        raise LmsUnavailable(f"The LMS could not be reached ({exc.__class__.__name__}).") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise LmsUnavailable(f"The LMS's gradebook failed (HTTP {response.status_code}).")
    return response


def _line_item_spec(send: ScoreSend) -> dict[str, Any]:
    resource = send.item.replace(":", "-")  # "assignment-1", "final"
    label = send.label if send.item != "final" else FINAL_LABEL
    return {"scoreMaximum": float(send.score_maximum), "label": label, "resourceId": resource, "tag": TAG}


def _line_item_find(lineitems: str, resource_id: str, token: str) -> str | None:
    """The LMS's line item with this resourceId (AGS 2.0, 3.2.5: filtered by resource_id and tag; paged)."""
    url: str | None = lineitems
    params: dict[str, Any] | None = {"resource_id": resource_id, "tag": TAG}
    for _page in range(LOOKUP_PAGES):
        if url is None:
            break
        found = _call("GET", url, token=token, params=params, headers={"Accept": CONTAINER_TYPE})
        if found.status_code != 200:
            return None  # no read access to the line items: only making one is left
        items = found.json()
        for item in items if isinstance(items, list) else []:
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str) and item.get("resourceId") == resource_id:
                return item_id
        url, params = found.links.get("next", {}).get("url"), None
    return None


def _line_item_url(send: ScoreSend, token: str) -> str:
    """The line item's URL at the LMS: remembered, else found there by its resourceId (made by an earlier try
    whose answer was lost), else made now. A row lock makes two sends for one item wait for each other."""
    spec = _line_item_spec(send)
    LineItem.objects.get_or_create(
        platform=send.platform,
        item=send.item,
        defaults={"label": spec["label"][:255], "score_maximum": send.score_maximum},
    )
    with transaction.atomic():
        line = LineItem.objects.select_for_update().get(platform=send.platform, item=send.item)
        if line.url:
            return line.url
        lineitems = send.platform.lineitems_url
        url = _line_item_find(lineitems, spec["resourceId"], token)
        if url is None:
            made = _call("POST", lineitems, token=token, data=json.dumps(spec), headers={"Content-Type": LINEITEM_TYPE})
            if made.status_code not in (200, 201):
                raise LmsServiceError(_refusal(made, send))
            url = made.json().get("id")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise LmsServiceError("The LMS made the gradebook column but did not say where it is.")
        line.url = url[:1000]
        line.save(update_fields=["url"])
    return line.url


def _scores_url(line_item_url: str) -> str:
    """AGS 2.0, 3.4: the scores endpoint is the line item's URL with /scores after its path (query kept)."""
    parts = urlsplit(line_item_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _post_score(send: ScoreSend) -> None:
    subject = (
        ExternalIdentity.objects.filter(issuer=send.platform.issuer, user=send.student)
        .values_list("subject", flat=True)
        .first()
    )
    if subject is None:
        raise LmsServiceError(
            f"{send.student.full_name or send.student.username} has not opened coursesite from the LMS yet, so "
            "their LMS id is not known here. Send again once they have (or after a roster sync from the LMS)."
        )
    try:
        token = access_token(platform=send.platform, scope=f"{LINEITEM_SCOPE} {SCORE_SCOPE}", allows=ALLOWS)
    except LmsServiceError as exc:
        if exc.transient:
            raise LmsUnavailable(str(exc).removesuffix(" Try again later.")) from None  # the task does
        raise
    line_url = _line_item_url(send, token)
    score: dict[str, Any] = {
        "userId": subject,
        "timestamp": send.scored_at.isoformat(timespec="milliseconds"),
        "comment": send.comment,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    if send.score_given is not None:
        score.update(scoreGiven=float(send.score_given), scoreMaximum=float(send.score_maximum))
    else:  # no grade any more: the LMS clears its result (AGS 2.0, 3.4.7)
        score.update(activityProgress="Initialized", gradingProgress="NotReady")
    response = _call(
        "POST", _scores_url(line_url), token=token, data=json.dumps(score), headers={"Content-Type": SCORE_TYPE}
    )
    if response.status_code == 404:  # the column was deleted in the LMS: the next try makes a new one
        LineItem.objects.filter(platform=send.platform, item=send.item).delete()
        raise LmsServiceError("The LMS no longer has this gradebook column (deleted there?). Send again to make it.")
    if response.status_code not in (200, 201, 202, 204):
        raise LmsServiceError(_refusal(response, send))


def score_send_run(*, send_id: int, final_try: bool) -> ScoreSend | None:
    """One try at sending; raises LmsUnavailable where the task should try again (unless this is its last try)."""
    send = ScoreSend.objects.select_related("platform", "student").filter(pk=send_id).first()
    if send is None or send.status != ScoreSend.Status.PENDING:
        return send  # gone, or already done by an earlier delivery of the message
    if ScoreSend.objects.filter(platform=send.platform, item=send.item, student=send.student, pk__gt=send.pk).exists():
        send.status, send.reason = ScoreSend.Status.FAILED, "A newer score replaced this one; that one is sent."
        send.save(update_fields=["status", "reason", "updated_at"])
        return send
    ScoreSend.objects.filter(pk=send.pk).update(attempts=F("attempts") + 1)
    send.attempts += 1
    try:
        _post_score(send)
    except LmsUnavailable as exc:
        if not final_try:
            send.reason = f"{exc} Trying again (after try {send.attempts})."
            send.save(update_fields=["reason", "updated_at"])
            raise
        send.status, send.reason = ScoreSend.Status.FAILED, f"{exc} Gave up after {send.attempts} tries."
    except LmsServiceError as exc:
        send.status, send.reason = ScoreSend.Status.FAILED, str(exc)[:500]
    except Exception as exc:  # an answer that cannot be read, say: recorded, never left waiting for ever
        log.exception("sending score %s to the LMS failed", send.pk)
        send.status = ScoreSend.Status.FAILED
        send.reason = f"The LMS's answer could not be used ({exc.__class__.__name__}). Send again, or ask the site's "
        send.reason += "administrator to look at the log."
    else:
        send.status, send.reason, send.sent_at = ScoreSend.Status.SENT, "", timezone.now()
    send.reason = send.reason[:500]
    send.save(update_fields=["status", "reason", "sent_at", "updated_at"])
    return send


# Staff: send again -------------------------------------------------------------------------------------------------


STUCK_MINUTES = 30  # longer than the task's retries wait at once: a pending send older than this is stuck


def may_send_again(send: ScoreSend) -> bool:
    """Failed, or still waiting long after its last try (the broker or the worker was down)."""
    stuck = timezone.now() - dt.timedelta(minutes=STUCK_MINUTES)
    return send.status == ScoreSend.Status.FAILED or (
        send.status == ScoreSend.Status.PENDING and send.updated_at < stuck
    )


def score_send_again(*, send: ScoreSend, by: User) -> ScoreSend:
    """Queue a failed send again (the course's staff only; audited). A send a newer score replaced is not sent."""
    require_staff(user=by, course=send.platform.course)
    with transaction.atomic():
        locked = ScoreSend.objects.select_for_update().select_related("student").get(pk=send.pk)
        if not may_send_again(locked):
            raise ValidationError("Only a send that failed (or has waited for long) can be sent again.")
        if ScoreSend.objects.filter(
            platform_id=locked.platform_id, item=locked.item, student_id=locked.student_id, pk__gt=locked.pk
        ).exists():
            raise ValidationError("A newer score of this student for this item replaced this one; it is not sent.")
        old_reason = locked.reason
        locked.status, locked.reason = ScoreSend.Status.PENDING, ""
        locked.save(update_fields=["status", "reason", "updated_at"])
        audit_record(
            actor=by,
            action="lti_score.resend",
            course=send.platform.course,
            target=locked,
            student=locked.student.username,
            item=locked.label,
            reason_before=old_reason,
        )
        _queue_on_commit([locked])
    return locked
