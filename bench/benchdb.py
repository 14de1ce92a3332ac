"""The start the in-process benches share: Django for a development run (DEBUG=1, no SECRET_KEY needed) on a
throwaway test database: the PostgreSQL server of DATABASE_URL when it is set (a test_<name> database is created
and dropped), otherwise an in-memory SQLite database."""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    """Before any import of the project's models."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_database() -> Iterator[None]:
    """A test database for the bench's data, dropped afterwards; says which one it is."""
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        yield
    finally:
        teardown_databases(old, verbosity=0)
