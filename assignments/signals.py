"""Signals of assignments: `submission_received` is sent after a submission is committed (the autograder listens)."""

from django.dispatch import Signal

# Sent with sender=Submission, submission=<Submission>, from transaction.on_commit.
submission_received = Signal()
