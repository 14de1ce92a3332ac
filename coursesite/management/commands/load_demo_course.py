"""Create (or refresh) the demo course DD2424 with its users and every date of the course."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coursesite.demo import load_demo_course


class Command(BaseCommand):
    help = "Create the demo course DD2424; idempotent. Lecture 1 falls on --start (default: 10 days ago)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--start", help="date of lecture 1, YYYY-MM-DD")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if options["start"]:
            try:
                start = dt.date.fromisoformat(options["start"])
            except ValueError as exc:
                raise CommandError(f"--start must be a date like 2026-03-18 ({exc})") from exc
        else:
            start = timezone.localdate() - dt.timedelta(days=10)
        ctx = load_demo_course(start=start)
        self.stdout.write(
            f"Demo course {ctx.course.code} ready: lecture 1 on {start}, "
            f"{len(ctx.students)} students, {len(ctx.tas)} TAs, examiner 'examiner'."
        )
