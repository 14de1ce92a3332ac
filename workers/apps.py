"""App configuration of workers: panels, the submission signal, the watchdog's beat entry, the demo suites."""

from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"

    def ready(self) -> None:
        from assignments.models import Submission
        from assignments.signals import submission_received
        from coursesite.celery import app
        from coursesite.hooks import registry

        from . import conf, demo, panels, receivers

        registry.add_panel("submission", panels.submission_panel)
        registry.add_panel("assignment_student", panels.assignment_student_panel)
        registry.add_panel("assignment_staff", panels.assignment_staff_panel)
        registry.demo.append((40, demo.extend_demo))
        submission_received.connect(receivers.grade_on_submission, sender=Submission, dispatch_uid="workers_grade")
        app.conf.beat_schedule["workers-watchdog"] = {
            "task": "workers.watchdog",
            "schedule": conf.watchdog_every_s(),
            "options": {"queue": "cpu"},
        }
