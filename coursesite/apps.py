"""App configuration of the course core."""

from django.apps import AppConfig


class CoursesiteConfig(AppConfig):
    name = "coursesite"
    verbose_name = "Course core"

    def ready(self) -> None:
        from . import calendar, context_processors, hooks

        hooks.registry.calendar.append(calendar.course_dates)
        hooks.registry.nav.append(context_processors.core_nav)
