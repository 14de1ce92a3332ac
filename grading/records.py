"""The student records system's file (Ladok): one result per module, identified by the personal identity number.

`records_file` builds what the file holds, what cannot go in it (no or an invalid identity number: an error to
fix on the roster, never a username in its place) and what waits (a module not finished); each row says whether
it is new or changed since the results already exported (`RecordsExport`).
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, replace

from coursesite.models import User
from coursesite.personal_id import InvalidPersonalId, normalise

from .models import RecordsExport
from .selectors import Gradebook, ModuleHeld, module_reports

HEADER = ["personal_id", "name", "course_code", "module_code", "grade", "grade_scale", "examination_date", "status"]
SCALES = {"PF": "P/F", "AF": "A-F"}

NEW, CHANGED, REPORTED = "new", "changed", "reported"


@dataclass(frozen=True)
class RecordsRow:
    student: User
    personal_id: str
    module_code: str
    grade: str
    scale: str
    examination_date: str  # ISO date, blank when not known
    final: bool
    since: str = NEW  # NEW, CHANGED (grade or date differ from the last file it was in) or REPORTED
    before: str = ""  # for CHANGED: what the earlier file said

    @property
    def key(self) -> str:
        return f"{self.personal_id}|{self.module_code}"

    @property
    def status(self) -> str:
        return "final" if self.final else "provisional"

    def as_record(self) -> dict[str, str]:
        return {
            "personal_id": self.personal_id,
            "module_code": self.module_code,
            "grade": self.grade,
            "examination_date": self.examination_date,
        }


@dataclass(frozen=True)
class RecordsError:
    student: User
    message: str
    modules: tuple[str, ...]  # the results that wait for the fix


@dataclass
class RecordsFile:
    course_code: str
    finalised: bool
    rows: list[RecordsRow] = field(default_factory=list)
    errors: list[RecordsError] = field(default_factory=list)
    held: list[ModuleHeld] = field(default_factory=list)
    last_export: RecordsExport | None = None

    def provisional(self, rows: list[RecordsRow]) -> bool:
        """Before finalising (or with a row of a student not locked yet) the file is not for the records office."""
        return not self.finalised or any(not r.final for r in rows)

    def selected(self, only_new: bool) -> list[RecordsRow]:
        return [r for r in self.rows if r.since != REPORTED] if only_new else list(self.rows)

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for r in self.rows if r.since == kind) for kind in (NEW, CHANGED, REPORTED)}

    def filename(self, rows: list[RecordsRow], today: dt.date) -> str:
        marker = "-PROVISIONAL" if self.provisional(rows) else ""
        return f"{self.course_code}-ladok-{today.isoformat()}{marker}.csv"


def _reported(course_id: int) -> tuple[dict[str, dict[str, str]], RecordsExport | None]:
    """What earlier files said for each (personal id, module), the latest file winning; and the last file."""
    exports = list(RecordsExport.objects.filter(course_id=course_id).order_by("made_at", "id"))
    seen: dict[str, dict[str, str]] = {}
    for export in exports:
        for record in export.rows:
            seen[f"{record['personal_id']}|{record['module_code']}"] = record
    return seen, exports[-1] if exports else None


def records_file(book: Gradebook, *, today: dt.date | None = None) -> RecordsFile:
    """The records file of the gradebook as it is now (two queries beyond the gradebook's)."""
    reports, held = module_reports(book)
    seen, last = _reported(book.course.pk)
    result = RecordsFile(book.course.code, book.finalised, held=held, last_export=last)
    failed: dict[int, tuple[User, str, list[str]]] = {}
    for report in reports:
        student = report.student
        try:
            personal_id = normalise(student.personal_id, today=today)
        except InvalidPersonalId as problem:
            failed.setdefault(student.pk, (student, str(problem), []))[2].append(report.module_code)
            continue
        examined = report.examined_on.isoformat() if report.examined_on else ""
        row = RecordsRow(student, personal_id, report.module_code, report.grade, report.scale, examined, report.final)
        before = seen.get(row.key)
        if before is not None:
            same = before["grade"] == row.grade and before["examination_date"] == row.examination_date
            text = f"{before['grade']} on {before['examination_date'] or 'no date'}"
            row = replace(row, since=REPORTED if same else CHANGED, before="" if same else text)
        result.rows.append(row)
    for student, message, modules in failed.values():
        if message == "no personal identity number":
            message = "No personal identity number on the roster; add the personal_id column and import again."
        else:
            message = f"The personal identity number is not valid: {message}; correct it on the roster."
        result.errors.append(RecordsError(student, message, tuple(modules)))
    return result


def records_csv(records: RecordsFile, rows: list[RecordsRow]) -> str:
    """The file: a header and one line per result; `status` says final or provisional on every line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [
                row.personal_id,
                row.student.display_name,
                records.course_code,
                row.module_code,
                row.grade,
                SCALES[row.scale],
                row.examination_date,
                row.status,
            ]
        )
    return out.getvalue()
