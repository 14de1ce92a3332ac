"""Signal receivers: a received submission is handed to the autograder."""

from typing import Any

from . import services


def grade_on_submission(sender: Any, submission: Any, **kwargs: Any) -> None:
    services.grading_enqueue_submission(submission=submission)
