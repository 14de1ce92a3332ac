"""The site's state on disk is private to the uid that runs the site: the SQLite file (sessions, tokens, password
hashes), uploads (suite zips with hidden data) and the filesystem broker's messages.

Web and workers call `make_state_private()` at start (manage.py, wsgi, the Celery worker and beat): a umask of
027 for what they create from then on, and the modes below for what exists already. The state folder itself stays
traverse-only for others (0711, not listable): the suite cache under it is reached by the judge's uid and the
sandbox's uids (public_data); everything in it has its own private mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

UMASK = 0o027


def state_modes() -> list[tuple[Path, int]]:
    """Each state path of this site and the mode it gets (those that exist are fixed)."""
    from django.conf import settings

    var = Path(settings.VAR_DIR)
    broker = var / "broker"
    modes = [(var, 0o711), (Path(settings.MEDIA_ROOT), 0o750), (broker, 0o700)]
    modes += [(broker / name, 0o700) for name in ("queue", "processed", "control")]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        name = Path(database["NAME"])
        modes += [(Path(f"{name}{suffix}"), 0o600) for suffix in ("", "-journal", "-wal", "-shm")]
    return modes


def make_state_private() -> None:
    os.umask(UMASK)
    from django.conf import settings

    # Made here when missing, with its own mode: made later under the umask it would be 0750, and the judge's and
    # the sandbox's uids could no longer reach the suite cache inside it.
    var = Path(settings.VAR_DIR)
    if not var.exists():
        var.mkdir(parents=True)
        os.chmod(var, 0o711)  # noqa: S103 (traverse only)
    for path, mode in state_modes():
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
            continue  # not ours to change; `python -m workers.sandbox check` reports it
        if stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)
