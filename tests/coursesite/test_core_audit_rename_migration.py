"""The data migration that renames stored audit actions to `noun.verb`, and its reverse."""

import importlib
import re
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from coursesite.models import AuditLog

migration = importlib.import_module("coursesite.migrations.0004_audit_action_names")
NOUN_VERB = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$")


def test_the_renames_go_to_distinct_noun_verb_names() -> None:
    new_names = list(migration.RENAMES.values())
    assert len(set(new_names)) == len(new_names)  # so the reverse is exact
    assert [name for name in new_names if not NOUN_VERB.match(name)] == []


def test_stored_rows_are_renamed_and_renamed_back(db) -> None:  # type: ignore[no-untyped-def]
    for old in migration.RENAMES:
        AuditLog.objects.create(action=old, data={})
    AuditLog.objects.create(action="roster.import", data={})  # already conforming: left alone
    editor = SimpleNamespace(connection=connection)

    migration.forwards(apps, editor)
    assert sorted(AuditLog.objects.values_list("action", flat=True)) == sorted(
        [*migration.RENAMES.values(), "roster.import"]
    )
    migration.backwards(apps, editor)
    assert sorted(AuditLog.objects.values_list("action", flat=True)) == sorted([*migration.RENAMES, "roster.import"])
