"""App configuration of insight: the staff's navigation link and a panel on the instructor's assignment page."""

from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import hooks

        registry.nav.append(hooks.nav_links)
        registry.add_panel("assignment_staff", hooks.assignment_staff_panel)
