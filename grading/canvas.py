"""The Canvas gradebook file: Canvas's own import format, with the course's column names and Canvas's student ids.

Canvas imports a CSV whose header is `Student, ID, SIS User ID, SIS Login ID, Section, <assignment>...`, the
assignments named exactly as in its gradebook (`Assignment 1 (12345)`); an optional second row starting with
`Points Possible` gives each column's maximum. A complete/incomplete assignment takes `complete`/`incomplete`,
a points assignment a number, a letter-grade assignment a letter. Blank cells change nothing in Canvas.

The examiner sets the mapping once (`CanvasColumn`: name and kind per item of the gradebook) and uploads Canvas's
own gradebook export once, from which each student's Canvas ID, SIS ids and section are read (`CanvasStudent`).
A student Canvas does not know is listed as an error and left out of the file: every column of a row is filled.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from coursesite.models import Course, User

from .models import CanvasColumn, CanvasStudent
from .policy import is_passing
from .selectors import Gradebook, GradebookRow

IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
PASS_FAIL, POINTS, LETTER = CanvasColumn.Kind.PASS_FAIL, CanvasColumn.Kind.POINTS, CanvasColumn.Kind.LETTER
# The kinds that make sense for each item, the first one the default.
KINDS = {
    "assignment": (PASS_FAIL, POINTS),
    "bonus": (POINTS,),
    "module": (LETTER, PASS_FAIL),
    "final": (LETTER, PASS_FAIL),
}
CANVAS_ID_SUFFIX = re.compile(r"\s*\(\d+\)\s*$")


@dataclass(frozen=True)
class Item:
    """One gradebook value the file can carry, with its Canvas column (name "" when the examiner left it out)."""

    key: str  # "assignment:N", "bonus", "module", "final"
    label: str  # what coursesite calls it
    name: str
    kind: str
    points_possible: Decimal | None

    @property
    def family(self) -> str:
        return self.key.split(":")[0]


@dataclass
class CanvasFile:
    items: list[Item]
    rows: list[list[str]] = field(default_factory=list)
    errors: list[tuple[User, str]] = field(default_factory=list)

    @property
    def columns(self) -> list[Item]:
        return [item for item in self.items if item.name]


def canvas_items(book: Gradebook) -> list[Item]:
    """Every item of the gradebook with the examiner's mapping, or the default name and kind (one query)."""
    mapped = {c.item: c for c in CanvasColumn.objects.filter(course=book.course)}
    defaults = [(f"assignment:{n}", f"Assignment {n}") for n in book.numbers]
    defaults += [("bonus", "Bonus points"), ("module", "Project or exam grade"), ("final", "Course grade with bonus")]
    items = []
    for key, label in defaults:
        column = mapped.get(key)
        if column is not None:
            items.append(Item(key, label, column.name, column.kind, column.points_possible))
        else:
            items.append(Item(key, label, label, KINDS[key.split(":")[0]][0], None))
    return items


def _number(value: Decimal | int) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _cell(item: Item, row: GradebookRow) -> str:
    if item.family == "assignment":
        result = row.assignments.get(int(item.key.split(":")[1]))
        if result is None or result.passed is None:
            return ""
        if item.kind == POINTS:
            return _number(item.points_possible or 0) if result.passed else "0"
        return "complete" if result.passed else "incomplete"
    if item.family == "bonus":
        return str(row.bonus)
    grade = row.outcome.module.grade if item.family == "module" else row.final_grade
    if item.kind == LETTER:
        return grade or ""
    if grade is not None:
        return "complete" if is_passing(grade) else "incomplete"
    if item.family == "final" and row.status == "failed":
        return "incomplete"
    return ""


def canvas_file(book: Gradebook) -> CanvasFile:
    """The file's rows for the students Canvas knows; the others as errors (two queries beyond the gradebook)."""
    result = CanvasFile(canvas_items(book))
    known = {c.student_id: c for c in CanvasStudent.objects.filter(course=book.course)}
    for row in book.rows:
        canvas = known.get(row.student.pk)
        if canvas is None:
            why = "not in the Canvas gradebook export uploaded here" if known else "no Canvas gradebook export yet"
            result.errors.append((row.student, f"Canvas does not know this student: {why}."))
            continue
        identity = [canvas.canvas_name, canvas.canvas_id, canvas.sis_user_id, canvas.sis_login_id, canvas.section]
        result.rows.append(identity + [_cell(item, row) for item in result.columns])
    return result


def canvas_csv(book: Gradebook) -> str:
    made = canvas_file(book)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(IDENTITY + [item.name for item in made.columns])
    if any(item.points_possible is not None for item in made.columns):  # Canvas's optional second row
        possible = [_number(item.points_possible) if item.points_possible is not None else "" for item in made.columns]
        writer.writerow(["Points Possible", "", "", "", ""] + possible)
    writer.writerows(made.rows)
    return out.getvalue()


@dataclass
class CanvasRoster:
    """What an uploaded Canvas gradebook export says: its students (matched to ours) and its assignment columns."""

    matched: list[CanvasStudent] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # Canvas students who are not students here
    assignments: dict[str, Decimal | None] = field(default_factory=dict)  # column name -> points possible
    errors: list[str] = field(default_factory=list)


def canvas_roster_read(*, course: Course, data: bytes, students: list[User]) -> CanvasRoster:
    """Read Canvas's gradebook export (Gradebook > Export): a student is matched by SIS Login ID, SIS User ID
    or e-mail to a username or e-mail of the roster."""
    result = CanvasRoster()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append("The file is not UTF-8 text; upload the CSV file Canvas's gradebook export gives.")
        return result
    lines = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in lines[0]] if lines else []
    missing = [name for name in IDENTITY if name not in header]
    if missing:
        result.errors.append(
            "This is not Canvas's gradebook export: the first row lacks the column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}."
        )
        return result
    at = {name: header.index(name) for name in IDENTITY}
    columns = [(i, h) for i, h in enumerate(header) if CANVAS_ID_SUFFIX.search(h)]
    result.assignments = {h: None for _, h in columns}
    by_key: dict[str, User] = {}
    for student in students:
        by_key[student.username.lower()] = student
        if student.email:
            by_key.setdefault(student.email.lower(), student)
    for line in lines[1:]:
        line = line + [""] * (len(header) - len(line))
        name = line[at["Student"]].strip()
        if name.startswith("Points Possible"):
            for i, h in columns:
                try:
                    result.assignments[h] = Decimal(line[i].strip())
                except (InvalidOperation, ValueError):
                    pass
            continue
        if not name or not line[at["ID"]].strip() or name == "Student, Test":
            continue
        sis_user, sis_login = line[at["SIS User ID"]].strip(), line[at["SIS Login ID"]].strip()
        candidates = [sis_login.lower(), sis_user.lower(), sis_login.split("@")[0].lower()]
        user = next((by_key[key] for key in candidates if key and key in by_key), None)
        if user is None:
            result.unmatched.append(name)
            continue
        result.matched.append(
            CanvasStudent(
                course=course,
                student=user,
                canvas_name=name,
                canvas_id=line[at["ID"]].strip(),
                sis_user_id=sis_user,
                sis_login_id=sis_login,
                section=line[at["Section"]].strip(),
            )
        )
    return result


def suggested_name(label: str, canvas_columns: dict[str, Decimal | None]) -> str | None:
    """The Canvas column whose name without its id is our label ("Assignment 1 (12345)" for "Assignment 1")."""
    for name in canvas_columns:
        if CANVAS_ID_SUFFIX.sub("", name).strip().lower() == label.lower():
            return name
    return None
