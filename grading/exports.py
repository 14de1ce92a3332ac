"""Exports of the gradebook: the student records system's CSV (Ladok style), a Canvas gradebook CSV, JSON."""

import csv
import io
import json

from django.core.serializers.json import DjangoJSONEncoder

from .selectors import Gradebook, module_reports

FORMATS = ("ladok", "canvas", "json")
CONTENT_TYPES = {"ladok": "text/csv", "canvas": "text/csv", "json": "application/json"}
EXTENSIONS = {"ladok": "csv", "canvas": "csv", "json": "json"}
# Exports that carry personal identity numbers: the examiner's only (grading.access.require_records_export).
PERSONAL_FORMATS = ("ladok",)

LADOK_HEADER = ["personal_id_or_username", "course_code", "module_code", "grade", "examination_date"]


def ladok_csv(book: Gradebook) -> str:
    """One row per student and module: LAB1 (P), PRO1 or TEN1 (A-F), with the date the work was completed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LADOK_HEADER)
    for report in module_reports(book):
        examined = report.examined_on.isoformat() if report.examined_on else ""
        # The identity number from the roster when the registrar gave one, else the university login name.
        who = report.student.personal_id or report.student.username
        writer.writerow([who, book.course.code, report.module_code, report.grade, examined])
    return out.getvalue()


def canvas_csv(book: Gradebook) -> str:
    """A CSV in the shape of Canvas's gradebook export, which its gradebook import reads back.

    Canvas matches students by ID, SIS User ID or SIS Login ID and items by column name; items it does not know
    become new assignments. Pass/fail items are "complete"/"incomplete". The final grade's column avoids the
    names Canvas treats as read-only and ignores ("Final Grade", "Current Grade", "Final Score", ...).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    items = [f"Assignment {n}" for n in book.numbers]
    writer.writerow(
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *items, "Bonus points", "Project or exam grade"]
        + ["Course grade with bonus"]
    )
    section = f"{book.course.code} {book.course.term}".strip()
    for row in book.rows:
        cells = []
        for _, result in row.cells:
            passed = result.passed if result is not None else None
            cells.append("" if passed is None else "complete" if passed else "incomplete")
        writer.writerow(
            [row.student.display_name, "", row.student.username, row.student.username, section, *cells]
            + [row.bonus, row.outcome.module.grade or "", row.final_grade or ""]
        )
    return out.getvalue()


def json_text(book: Gradebook) -> str:
    from .api import gradebook_json

    return json.dumps(gradebook_json(book), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"


def export(book: Gradebook, fmt: str) -> str:
    if fmt == "ladok":
        return ladok_csv(book)
    if fmt == "canvas":
        return canvas_csv(book)
    if fmt == "json":
        return json_text(book)
    raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
