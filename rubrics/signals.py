"""The rubric's rule guards every way a review is recorded (the page, the API, the shell), not only the rubric form."""

from django.db.models.signals import pre_save
from django.dispatch import receiver

from assignments.models import Review

from .services import check_review_follows_rubric


@receiver(pre_save, sender=Review, dispatch_uid="rubrics_review_follows_rubric")
def review_follows_rubric(sender, instance: Review, raw: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if raw or not instance._state.adding:
        return
    check_review_follows_rubric(instance)
