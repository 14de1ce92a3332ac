"""Celery task of insight: the similarity check, on the `cpu` queue (sent by services.similarity_request)."""

from celery import shared_task
from django.db import close_old_connections

from . import services


@shared_task(name="insight.similarity_check", acks_late=True, reject_on_worker_lost=True)
def similarity_check(check_id: int) -> str:
    """Compare every student's latest code of the check's assignment; a second delivery of the message is a no-op."""
    close_old_connections()
    check = services.similarity_run(check_id=check_id)
    return check.state if check is not None else "stale"
