"""App configuration of notifications: announcements on the course dashboard and in the navigation, demo data."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import demo, hooks

        registry.dashboard.append(hooks.dashboard_announcements)
        registry.nav.append(hooks.nav_links)
        registry.demo.append((90, demo.extend_demo))
