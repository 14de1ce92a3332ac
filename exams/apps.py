"""App configuration of exams."""

from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import demo, hooks

        registry.calendar.append(hooks.calendar_events)
        registry.dashboard.append(hooks.dashboard_items)
        registry.nav.append(hooks.nav_links)
        registry.add_panel("course_settings", hooks.course_settings_panel)
        registry.demo.append((30, demo.extend_demo))
