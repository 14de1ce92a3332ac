"""App configuration of projects."""

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        from celery.schedules import crontab

        from coursesite.celery import app
        from coursesite.hooks import registry

        from . import demo, hooks, services

        registry.calendar.append(hooks.calendar_events)
        registry.dashboard.append(hooks.dashboard_items)
        registry.nav.append(hooks.nav_links)
        registry.demo.append((20, demo.extend_demo))
        registry.withdrawal.append(services.help_withdrawal_cancel)
        app.conf.beat_schedule["projects-daily-reminders"] = {
            "task": "projects.send_reminders",
            "schedule": crontab(hour=7, minute=30),
            "options": {"queue": "cpu"},
        }
