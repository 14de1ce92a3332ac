"""App configuration of notifications: announcements shown on the course dashboard."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import hooks

        registry.dashboard.append(hooks.dashboard_announcements)
        registry.nav.append(hooks.nav_links)
