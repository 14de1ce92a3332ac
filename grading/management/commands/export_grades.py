"""`manage.py export_grades COURSE --format ladok|canvas|json [--output FILE] [--only-new]`: the gradebook's exports."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coursesite.models import Course
from grading.exports import FORMATS, export
from grading.records import records_file
from grading.selectors import gradebook
from grading.services import records_export_make


class Command(BaseCommand):
    help = (
        "Export a course's grades: the student records (Ladok) CSV, one row per student and module, remembered "
        "as exported; a Canvas gradebook CSV; or JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course code, e.g. DD2424")
        parser.add_argument("--format", choices=FORMATS, default="ladok")
        parser.add_argument("--output", help="write to this file instead of the standard output")
        parser.add_argument(
            "--only-new", action="store_true", help="ladok: only results new or changed since the earlier files"
        )

    def handle(self, *args: object, **options: str) -> None:
        course = Course.objects.filter(code=options["course"]).first()
        if course is None:
            raise CommandError(f"No course with the code {options['course']!r}.")
        if options["format"] == "ladok":
            for error in records_file(gradebook(course=course)).errors:
                self.stderr.write(
                    f"Not exported: {error.student.username} ({error.student.display_name}): {error.message}"
                )
            made, name, text = records_export_make(course=course, by=None, only_new=bool(options.get("only_new")))
            if made.provisional:
                self.stderr.write(f"PROVISIONAL: the grades of {course.code} are not all finalised ({name}).")
        else:
            text = export(gradebook(course=course), options["format"])
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['format']} export of {course.code} to {options['output']}")
        else:
            self.stdout.write(text, ending="")
