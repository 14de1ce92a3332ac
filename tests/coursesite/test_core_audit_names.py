"""Audit action names have one spelling, noun.verb: every audit_record call in the code, and audit_record itself."""

import ast
import re
from pathlib import Path

import pytest

from coursesite.audit import ACTION_NAME, audit_record

REPO = Path(__file__).resolve().parents[2]
APPS = ["coursesite", "accounts", "assignments", "projects", "exams", "grading", "workers", "insight", "sso", "lti"]
APPS += ["rubrics", "notifications"]
# Past tenses that crept in before ("identity_bound", "platform_added"): the verb is in the present tense.
PAST = re.compile(r"\.(?:[a-z_]*_)?[a-z]+(ed|bound|sent)(_|$)")


def _actions() -> list[tuple[str, int, str]]:
    """(file, line, name) of each audit_record(action=...) in the apps; an f-string gives its fixed parts a name
    pattern with {x} where a value goes, and a name from a variable is the variable's string values nearby."""
    found = []
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_record"
                ):
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "action":
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.append((str(path.relative_to(REPO)), node.lineno, value.value))
                    elif isinstance(value, ast.JoinedStr):
                        parts = [p.value if isinstance(p, ast.Constant) else "x" for p in value.values]
                        found.append((str(path.relative_to(REPO)), node.lineno, "".join(map(str, parts))))
    return found


def test_every_action_in_the_code_is_noun_verb_in_the_present_tense() -> None:
    actions = _actions()
    assert len(actions) > 50  # the scan finds the calls (a broken scan would pass vacuously)
    wrong = [(f, line, name) for f, line, name in actions if not ACTION_NAME.match(name) or PAST.search(name)]
    assert wrong == []


@pytest.mark.parametrize("name", ["suite_upload", "grading.final_grade.change", "Group.create", "group.", "x"])
def test_audit_record_refuses_another_spelling(db, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="noun.verb"):
        audit_record(actor=None, action=name)


def test_audit_record_takes_noun_verb(db) -> None:  # type: ignore[no-untyped-def]
    assert audit_record(actor=None, action="help_slot.book").action == "help_slot.book"
