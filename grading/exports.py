"""Exports of the gradebook: the student records system's CSV (Ladok), a Canvas gradebook CSV, JSON.

The Ladok file is made (and remembered, for "new since the last export") by `services.records_export_make`;
`records.py` and `canvas.py` hold the two files' rules.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

from .canvas import canvas_csv
from .records import records_csv, records_file
from .selectors import Gradebook

FORMATS = ("ladok", "canvas", "json")
CONTENT_TYPES = {"ladok": "text/csv", "canvas": "text/csv", "json": "application/json"}
EXTENSIONS = {"ladok": "csv", "canvas": "csv", "json": "json"}
# Exports that carry personal identity numbers: the examiner's only (grading.access.require_records_export).
PERSONAL_FORMATS = ("ladok",)


def ladok_csv(book: Gradebook) -> str:
    """Every result the records file would hold now (without remembering it as exported)."""
    records = records_file(book)
    return records_csv(records, records.rows)


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
