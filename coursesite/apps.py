"""App configuration of the course core."""

from django.apps import AppConfig


class CoursesiteConfig(AppConfig):
    name = "coursesite"
    verbose_name = "Course core"

    def ready(self) -> None:
        from django.core.signals import request_started

        from . import calendar, context_processors, hooks

        # Course pages activate the course's time zone (coursesite.views.course_page); no request inherits it.
        request_started.connect(_reset_timezone, dispatch_uid="coursesite-reset-timezone")

        hooks.registry.calendar.append(calendar.course_dates)
        hooks.registry.nav.append(context_processors.core_nav)


def _reset_timezone(**kwargs: object) -> None:
    from django.utils import timezone

    timezone.deactivate()
