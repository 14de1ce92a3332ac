"""App configuration of assignments."""

from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import demo, hooks

        registry.calendar.append(hooks.calendar_events)
        registry.dashboard.append(hooks.dashboard_items)
        registry.nav.append(hooks.nav_links)
        registry.demo.append((10, demo.extend_demo))
