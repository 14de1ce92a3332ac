"""App configuration of grading."""

from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"

    def ready(self) -> None:
        from coursesite.hooks import registry

        from . import hooks

        registry.nav.append(hooks.nav_links)
