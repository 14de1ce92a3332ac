"""App configuration of rubrics: the review page's workspace and form, and the student's marked rubric."""

from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "rubrics"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import hooks, signals  # noqa: F401 (signals: the rubric's rule guards every way of recording a review)

        registry.add_panel("review_workspace", hooks.review_workspace)
        registry.add_panel("review_form", hooks.review_form)
        registry.add_panel("submission", hooks.submission_panel, first=True)  # right under the review
        registry.add_panel("assignment_staff", hooks.assignment_staff_panel)
