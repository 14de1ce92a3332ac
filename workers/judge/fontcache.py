"""matplotlib's font list, built once per grading Python, for the judge's fresh home.

The judge runs each job with a new, empty home (its MPLCONFIGDIR), so matplotlib would scan the system's fonts
(running fc-list) in every job that draws a figure: about 0.3 s of the job. The list is built once, by the
launcher (root) running the same Python, into a root-owned folder beside the sandbox's state, and copied into each
judge home. The judge can read its copy, not the shared one; nothing of the student's reaches either.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from workers.sandbox.host import state_dir

_BUILD = "import importlib.util\nif importlib.util.find_spec('matplotlib'):\n    import matplotlib.font_manager\n"
BUILT = "built"  # the marker of a finished build (also when this Python has no matplotlib: nothing to copy then)


def cache_dir() -> Path:
    """This Python's and its matplotlib's folder: another runtime, or matplotlib installed anew, builds its own."""
    spec = importlib.util.find_spec("matplotlib")
    where = spec.origin if spec is not None and spec.origin else ""
    stamp = os.stat(where).st_mtime_ns if where else 0
    key = hashlib.sha256(f"{sys.executable}\0{sys.prefix}\0{where}\0{stamp}".encode()).hexdigest()[:16]
    return Path(state_dir()) / "matplotlib" / key


def _build(cache: Path) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="build-", dir=cache.parent))
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "MPLCONFIGDIR": str(scratch), "MPLBACKEND": "Agg"}
        with contextlib.suppress(OSError, subprocess.SubprocessError):  # no matplotlib: an empty list, built
            subprocess.run([sys.executable, "-I", "-c", _BUILD], env=env, timeout=120, capture_output=True, check=False)
        for item in scratch.iterdir():
            if not item.name.startswith("fontlist-"):
                shutil.rmtree(item) if item.is_dir() else item.unlink()
            else:
                item.chmod(0o644)
        (scratch / BUILT).touch()
        scratch.chmod(0o755)
        with contextlib.suppress(OSError):  # another worker finished first: its list is as good
            os.rename(scratch, cache)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def seed(home: Path) -> list[Path]:
    """Copy the font list into the judge's `home` (building it first if this Python has none yet); the copies."""
    cache = cache_dir()
    if not (cache / BUILT).exists():
        _build(cache)
    copies = []
    for item in sorted(cache.glob("fontlist-*.json")):
        shutil.copyfile(item, home / item.name)
        copies.append(home / item.name)
    return copies
