"""matplotlib's font list, built once per grading Python, for the judge's fresh home.

The judge runs each job with a new, empty home (its MPLCONFIGDIR), so matplotlib would scan the system's fonts
(running fc-list) in every job that draws a figure: about 0.3 s of the job. The list is built once, by the
launcher (root) running the same Python, into a root-owned folder beside the sandbox's state, and copied into each
judge home. The judge can read its copy, not the shared one; nothing of the student's reaches either. The student's
code gets a copy in its /work (student_seed; MPLCONFIGDIR points there), for submissions that import pyplot.
"""

from __future__ import annotations

import contextlib
import functools
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


@functools.cache
def _lists() -> tuple[Path, ...]:
    """The built lists (building them first if this Python has none yet); once per process, the launcher's."""
    cache = cache_dir()
    with contextlib.suppress(OSError):  # root's alone, whoever made it first (a worker's umask is 027, a shell's 022)
        cache.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        cache.parent.chmod(0o750)
    if not (cache / BUILT).exists():
        _build(cache)
    return tuple(sorted(cache.glob("fontlist-*.json")))


def seed(home: Path) -> list[Path]:
    """Copy the font list into the judge's `home`; the copies. A list that cannot be built or copied only costs
    the job matplotlib's own scan: it never fails the job."""
    copies = []
    try:
        for item in _lists():
            shutil.copyfile(item, home / item.name)
            copies.append(home / item.name)
    except OSError:
        pass
    return copies


STUDENT_FOLDER = (".cache", "matplotlib")  # inside the student's /work: their MPLCONFIGDIR when it holds a list


def student_seeded(work: Path) -> bool:
    """Whether `work` holds a font list in STUDENT_FOLDER (folders and file themselves, not links)."""
    folder = work.joinpath(*STUDENT_FOLDER)
    if any(path.is_symlink() or not path.is_dir() for path in (folder.parent, folder)):
        return False
    return any(item.is_file() and not item.is_symlink() for item in folder.glob("fontlist-*.json"))


def student_seed(work: Path) -> list[Path]:
    """Copy the font list into the student's folder `work` (their /work), in STUDENT_FOLDER.
    The folder holds the student's upload and this runs as root, before anything of theirs runs: an upload that
    brought a .cache of its own keeps it (matplotlib then builds its list itself), no name is followed (mkdir and an
    exclusive, no-follow create refuse what exists, links included). As `seed`, it never fails the job."""
    folder, copies = work.joinpath(*STUDENT_FOLDER), []
    try:
        lists = _lists()
        if not lists:
            return []
        os.mkdir(folder.parent, 0o755)
        os.mkdir(folder, 0o755)
        for item in lists:
            fd = os.open(folder / item.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(item.read_bytes())
            copies.append(folder / item.name)
    except OSError:  # FileExistsError above all: the upload's own .cache
        pass
    return copies
