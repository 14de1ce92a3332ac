"""`manage.py export_grades COURSE --format ladok|canvas|json [--output FILE]`: the gradebook's exports."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coursesite.models import Course
from grading.exports import FORMATS, export
from grading.selectors import gradebook


class Command(BaseCommand):
    help = "Export a course's grades: Ladok-style CSV (one row per student and module), Canvas gradebook CSV, or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course code, e.g. DD2424")
        parser.add_argument("--format", choices=FORMATS, default="ladok")
        parser.add_argument("--output", help="write to this file instead of the standard output")

    def handle(self, *args: object, **options: str) -> None:
        course = Course.objects.filter(code=options["course"]).first()
        if course is None:
            raise CommandError(f"No course with the code {options['course']!r}.")
        text = export(gradebook(course=course), options["format"])
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['format']} export of {course.code} to {options['output']}")
        else:
            self.stdout.write(text, ending="")
