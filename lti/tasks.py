"""Celery task of the LTI tool: one score to the LMS gradebook (queued by lti.passback after the commit)."""

from celery import shared_task
from django.db import close_old_connections

from . import passback

MAX_RETRIES = 10  # with the backoff: about half an hour of the LMS being down before a send is marked failed


@shared_task(
    bind=True,
    name="lti.score_send",
    acks_late=True,
    autoretry_for=(passback.LmsUnavailable,),
    retry_backoff=2,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def score_send(self, send_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one score; network errors and the LMS's server errors retry with backoff, the last try records why."""
    close_old_connections()
    send = passback.score_send_run(send_id=send_id, final_try=self.request.retries >= MAX_RETRIES)
    return send.status if send is not None else "gone"
