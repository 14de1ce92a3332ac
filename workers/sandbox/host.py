"""What isolation this host offers (probed once per process) and the sandbox's host-side state."""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import bwrap as bw
from . import cgroups, seccomp

INSECURE_ENV = "COURSESITE_SANDBOX_INSECURE_I_KNOW"
RUNTIME_ENV = "COURSESITE_SANDBOX_RUNTIME"
BWRAP_ENV = "COURSESITE_BWRAP"
SLOT_UID_BASE = 61000
SLOT_COUNT = 128


def state_dir() -> str:
    """Root-owned home of the slot locks and the synthetic /etc/passwd."""
    if os.geteuid() == 0:
        return "/run/coursesite-sandbox"
    return os.path.join(tempfile.gettempdir(), f"coursesite-sandbox-{os.geteuid()}")


@functools.cache
def etc_dir() -> str:
    path = os.path.join(state_dir(), "etc")
    os.makedirs(path, mode=0o755, exist_ok=True)
    # Slot uids must traverse to these files to have them bound.
    os.chmod(state_dir(), 0o755)  # noqa: S103
    os.chmod(path, 0o755)  # noqa: S103
    for name, text in (("passwd", bw.ETC_PASSWD_TEXT), ("group", bw.ETC_GROUP_TEXT)):
        target = os.path.join(path, name)
        if not os.path.exists(target) or Path(target).read_text() != text:
            tmp = f"{target}.{os.getpid()}"
            Path(tmp).write_text(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    return path


def insecure_allowed() -> bool:
    return os.environ.get(INSECURE_ENV) == "1"


@functools.cache
def _probe_bwrap(path: str) -> tuple[bool, str]:
    """Run a trivial sandbox with every namespace we use; it fails where userns is off."""
    argv = [
        path, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
        "--", "/usr/bin/true",
    ]  # fmt: skip
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=20, env={}, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return res.returncode == 0, res.stderr.strip()


def _bwrap_version(path: str) -> str:
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def default_runtime() -> str | None:
    if os.environ.get(RUNTIME_ENV):
        return os.environ[RUNTIME_ENV]
    candidate = Path(__file__).resolve().parents[2] / ".runtime"
    return str(candidate) if candidate.exists() else None


def runtime_access(runtime: str) -> dict[str, Any]:
    """Whether an unprivileged ("other") uid can traverse to the runtime and run its python."""
    problems = []
    p = Path(runtime).resolve()
    for part in [*reversed(p.parents), p]:
        try:
            mode = part.stat().st_mode
        except OSError as exc:
            problems.append(f"{part}: {exc.strerror}")
            break
        if not mode & stat.S_IXOTH:
            problems.append(f"{part} is not world-traversable (chmod o+x)")
    python = p / "bin" / "python"
    try:
        real = python.resolve()
        if not real.stat().st_mode & stat.S_IXOTH:
            problems.append(f"{real} is not world-executable")
    except OSError as exc:
        problems.append(f"{python}: {exc.strerror}")
    return {"path": str(p), "ok": not problems, "problems": problems}


def _bwrap_path() -> str | None:
    """bubblewrap from BWRAP_ENV (hosts that install it elsewhere), else PATH, else Debian's place."""
    configured = os.environ.get(BWRAP_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)


@functools.cache
def _check() -> dict[str, Any]:
    path = _bwrap_path()
    userns_ok, userns_err = _probe_bwrap(path) if path else (False, "bwrap not installed (apt install bubblewrap)")
    lay, cg_note = cgroups.layout()
    root = os.geteuid() == 0
    missing = []
    if not path:
        missing.append("bubblewrap (apt install bubblewrap)")
    elif not userns_ok:
        missing.append(f"user/network namespaces via bwrap: {userns_err}")
    info: dict[str, Any] = {
        "bwrap": path,
        "namespaces": userns_ok,
        "slot_uids": root,
        "uid_note": "" if root else "worker is not root: jobs share its uid inside a user namespace",
        "cgroup": lay.version if lay else None,
        "cgroup_controllers": sorted(lay.parents) if lay else [],
        "cgroup_note": cg_note,
        "seccomp": seccomp.supported(),
        "rlimits": True,
        "python": sys.version.split()[0],
        "missing": missing,
        "ok": not missing,
    }
    runtime = default_runtime()
    if runtime:
        info["runtime"] = runtime_access(runtime)
    return info


def isolation() -> dict[str, Any]:
    """What a job needs to start: the mechanisms available here (probed once per process)."""
    return dict(_check())


def check_host() -> dict[str, Any]:
    """Mechanisms available here, with bubblewrap's version; `ok` is False when the minimum isolation is missing."""
    info = isolation()
    info["bwrap_version"] = _bwrap_version(info["bwrap"]) if info["bwrap"] else None
    info["state"] = state_permissions()
    return info


def state_permissions() -> dict[str, Any]:
    """Whether the site's state (COURSESITE_VAR_DIR: the SQLite file, the broker's folder; MEDIA_ROOT: uploads)
    is private to its owner: a warning for each path other uids can read (the sandbox's and the judge's uids
    must not; the state folder itself may be traverse-only for the suite cache under it)."""
    var = Path(os.environ.get("COURSESITE_VAR_DIR") or Path(__file__).resolve().parents[2] / "var")
    media = Path(os.environ.get("MEDIA_ROOT") or var / "media")
    paths = [var, media, var / "broker", var / "db.sqlite3"]
    modes, warnings = {}, []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except OSError:
            continue
        modes[str(path)] = f"{mode:04o}"
        if mode & stat.S_IROTH:
            warnings.append(f"{path} is readable by every uid (mode {mode:04o}); the site sets it at start")
    return {"private": not warnings, "modes": modes, "warnings": warnings}
