"""State changes of the course core: courses, roster import, calendar tokens. Each writes an audit row."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .audit import audit_record
from .models import Course, Membership, Role, User, _new_calendar_token

ROSTER_COLUMNS = ("username", "full_name", "email", "role")
ROSTER_OPTIONAL_COLUMNS = ("personal_id",)
PERSONAL_ID = re.compile(r"^[0-9][0-9+-]{5,18}[0-9A-Za-z]$")
ROSTER_MAX_BYTES = 5 * 1024 * 1024
_ROLE_ALIASES = {
    "instructor": Role.INSTRUCTOR,
    "examiner": Role.INSTRUCTOR,
    "teacher": Role.INSTRUCTOR,
    "ta": Role.TA,
    "assistant": Role.TA,
    "student": Role.STUDENT,
}


@dataclass
class RosterError:
    row: int  # 1-based line number in the file, the header being row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RosterError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _RosterRow:
    line: int
    username: str
    full_name: str
    email: str
    role: str
    personal_id: str = ""


def _normalise_header(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _parse_roster(data: bytes) -> tuple[list[_RosterRow], list[RosterError]]:
    errors: list[RosterError] = []
    if len(data) > ROSTER_MAX_BYTES:
        return [], [RosterError(1, "-", "the file is larger than 5 MB; is it really a roster?")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [RosterError(line, "-", "the file is not UTF-8 text; save it as CSV UTF-8")]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [RosterError(1, "-", "the file is empty")]
    except csv.Error as exc:
        return [], [RosterError(1, "-", f"not a readable CSV file ({exc})")]
    columns = [_normalise_header(name) for name in header]
    columns = ["full_name" if c == "name" else c for c in columns]
    missing = [c for c in ROSTER_COLUMNS if c not in columns]
    if missing:
        return [], [RosterError(1, c, "this column is missing from the header") for c in missing]
    index = {name: columns.index(name) for name in (*ROSTER_COLUMNS, *ROSTER_OPTIONAL_COLUMNS) if name in columns}
    rows: list[_RosterRow] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) < len(header):
                errors.append(RosterError(line, "-", f"expected {len(header)} columns, found {len(values)}"))
                continue
            username = values[index["username"]].strip()
            full_name = values[index["full_name"]].strip()
            email = values[index["email"]].strip()
            role_text = values[index["role"]].strip().lower()
            personal_id = values[index["personal_id"]].strip() if "personal_id" in index else ""
            if personal_id and not PERSONAL_ID.match(personal_id):
                errors.append(RosterError(line, "personal_id", f"{personal_id!r} is not an identity number"))
            if not username:
                errors.append(RosterError(line, "username", "is empty"))
            elif not User.username_validator.regex.match(username) or len(username) > 150:
                errors.append(RosterError(line, "username", f"{username!r} may only hold letters, digits and @.+-_"))
            elif username in seen:
                errors.append(RosterError(line, "username", f"{username!r} already appears on row {seen[username]}"))
            else:
                seen[username] = line
            if not full_name:
                errors.append(RosterError(line, "full_name", "is empty"))
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RosterError(line, "email", f"{email!r} is not an email address"))
            if role_text not in _ROLE_ALIASES:
                errors.append(RosterError(line, "role", f"{role_text!r} is not one of instructor, ta, student"))
            else:
                rows.append(_RosterRow(line, username, full_name, email, _ROLE_ALIASES[role_text], personal_id))
    except csv.Error as exc:
        errors.append(RosterError(reader.line_num, "-", f"not a readable CSV line ({exc})"))
    return rows, errors


def roster_import(*, course: Course, data: bytes, by: User | None) -> RosterResult:
    """Import the registrar's roster: all rows or none; re-importing the same file changes nothing."""
    rows, errors = _parse_roster(data)
    result = RosterResult(errors=errors)
    if errors:
        return result
    with transaction.atomic():
        users = {
            u.username: u for u in User.objects.select_for_update().filter(username__in=[r.username for r in rows])
        }
        members = {m.user_id: m for m in Membership.objects.select_for_update().filter(course=course)}
        for row in rows:
            user = users.get(row.username)
            changed = False
            if user is None:
                user = User(
                    username=row.username, full_name=row.full_name, email=row.email, personal_id=row.personal_id
                )
                user.set_unusable_password()
                user.save()
                result.created += 1
                Membership.objects.create(user=user, course=course, role=row.role)
                continue
            # A roster without the optional column leaves what an earlier roster said.
            personal_id = row.personal_id or user.personal_id
            if (user.full_name, user.email, user.personal_id) != (row.full_name, row.email, personal_id):
                user.full_name, user.email, user.personal_id = row.full_name, row.email, personal_id
                user.save(update_fields=["full_name", "email", "personal_id"])
                changed = True
            member = members.get(user.pk)
            if member is None:
                Membership.objects.create(user=user, course=course, role=row.role)
                changed = True
            elif member.role != row.role:
                member.role = row.role
                member.save(update_fields=["role"])
                changed = True
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        audit_record(
            actor=by,
            action="roster.import",
            course=course,
            target=course,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    return result


def calendar_token_rotate(*, user: User) -> str:
    with transaction.atomic():
        user.calendar_token = _new_calendar_token()
        user.save(update_fields=["calendar_token"])
        audit_record(actor=user, action="calendar.token_rotate", target=user)
    return user.calendar_token
