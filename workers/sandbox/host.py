"""What isolation this host offers (probed once per process) and the sandbox's host-side state."""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import bwrap as bw
from . import cgroups, mounts, seccomp

INSECURE_ENV = "COURSESITE_SANDBOX_INSECURE_I_KNOW"
RUNTIME_ENV = "COURSESITE_SANDBOX_RUNTIME"
BWRAP_ENV = "COURSESITE_BWRAP"
UID_BASE_ENV = "COURSESITE_SANDBOX_UID_BASE"
SLOTS_ENV = "COURSESITE_SANDBOX_SLOTS"
# Defaults; each worker container (or host) sharing a kernel needs its own disjoint range.
SLOT_UID_BASE = 61000
SLOT_COUNT = 128
# Below this, uids belong to the system and its people (Debian: up to 59999 for users; we leave the
# lowest 10000 alone in any case); uid_t's last value, 2**32 - 1, means "no uid".
MIN_SLOT_UID = 10000
MAX_SLOT_UID = 2**32 - 2
MAX_SLOTS = 4096
_RESERVED_UIDS = {65534: "nobody", 65535: "the 16-bit 'no uid'"}


class SlotConfigError(ValueError):
    """COURSESITE_SANDBOX_UID_BASE / _SLOTS are unusable; the message says why in plain words."""


def _mapped_ranges() -> list[tuple[int, int]]:
    """The uids this process's user namespace can use ([first, last] pairs, from /proc/self/uid_map)."""
    try:
        with open("/proc/self/uid_map") as f:
            rows = [line.split() for line in f if line.strip()]
    except OSError:
        return [(0, MAX_SLOT_UID)]
    return [(int(inside), int(inside) + int(count) - 1) for inside, _, count in rows]


@functools.cache
def _validated_slots(base_text: str | None, count_text: str | None) -> tuple[int, int]:
    def number(name: str, text: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise SlotConfigError(f"{name} must be a whole number, not {text!r}") from None

    base = SLOT_UID_BASE if base_text is None else number(UID_BASE_ENV, base_text)
    count = SLOT_COUNT if count_text is None else number(SLOTS_ENV, count_text)
    if not 1 <= count <= MAX_SLOTS:
        raise SlotConfigError(f"{SLOTS_ENV}={count}: the number of sandbox slots must be 1 to {MAX_SLOTS}")
    last = base + count - 1
    if base < MIN_SLOT_UID:
        raise SlotConfigError(
            f"{UID_BASE_ENV}={base} overlaps the system's own uids (below {MIN_SLOT_UID}): jobs would run as "
            f"real accounts; choose a base of {MIN_SLOT_UID} or more, disjoint from every other worker's range"
        )
    if last > MAX_SLOT_UID:
        raise SlotConfigError(
            f"{UID_BASE_ENV}={base} with {count} slots overflows the uid range (the last uid is {MAX_SLOT_UID})"
        )
    for uid, what in _RESERVED_UIDS.items():
        if base <= uid <= last:
            raise SlotConfigError(f"{UID_BASE_ENV}={base} with {count} slots includes uid {uid} ({what})")
    if not any(first <= base and last <= end for first, end in _mapped_ranges()):
        raise SlotConfigError(
            f"{UID_BASE_ENV}={base} with {count} slots: uids {base}-{last} are not mapped in this worker's "
            "user namespace (/proc/self/uid_map)"
        )
    taken = sorted((p.pw_uid, p.pw_name) for p in pwd.getpwall() if base <= p.pw_uid <= last)
    if taken:
        uid, name = taken[0]
        raise SlotConfigError(f"{UID_BASE_ENV}={base} with {count} slots includes uid {uid}, the account {name!r}")
    return base, count


def slot_range() -> tuple[int, int]:
    """(first uid, number of slots) of this worker's sandbox slots, from the environment; SlotConfigError if the
    setting is unusable. Each worker sharing a kernel (containers on one host) needs a disjoint range: the
    kernel counts processes (RLIMIT_NPROC) and signals by uid, whatever container a process is in."""
    return _validated_slots(os.environ.get(UID_BASE_ENV), os.environ.get(SLOTS_ENV))


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


@functools.cache
def private_root() -> str:
    """Mount points of a job's own tmpfs (work, tmp, shm); only ever mounted in the job's own mount namespace."""
    path = os.path.join(state_dir(), "mnt")
    for name in mounts.FOLDERS:
        os.makedirs(os.path.join(path, name), mode=0o755, exist_ok=True)
        os.chmod(os.path.join(path, name), 0o755)  # noqa: S103 - bwrap binds them as the slot uid
    os.chmod(path, 0o755)  # noqa: S103
    os.chmod(state_dir(), 0o755)  # noqa: S103
    return path


def _probe_private_mounts() -> tuple[bool, str]:
    """Whether a job's first process can mount its capped tmpfs (root with CAP_SYS_ADMIN in its namespace)."""
    plan = mounts.Plan(private_root(), 65534, 1, 1, 16)
    try:
        subprocess.run(["/bin/true"], preexec_fn=lambda: mounts.enter(plan, None), check=True, timeout=20)  # noqa: PLW1509
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"cannot mount a private tmpfs for /work: {exc}"
    return True, ""


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
    work_ok, work_err = _probe_private_mounts() if root else (False, "")
    if root and not work_ok:
        missing.append(work_err)
    info: dict[str, Any] = {
        "bwrap": path,
        "namespaces": userns_ok,
        "slot_uids": root,
        "uid_note": "" if root else "worker is not root: jobs share its uid inside a user namespace",
        "work_tmpfs": work_ok,
        "work_note": "" if root else "worker is not root: /work is the work dir itself, capped per file only",
        "cgroup": lay.version if lay else None,
        "cgroup_controllers": sorted(lay.parents) if lay else [],
        "cgroup_note": cg_note,
        "cpu_weighted": bool(lay and lay.weighted),  # the jobs yield the cores to the web server (cgroups.py)
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
    """What a job needs to start: the mechanisms available here (probed once per process), and the slot uid
    range (read from the environment each time)."""
    info = dict(_check())
    info["missing"] = list(info["missing"])
    try:
        base, count = slot_range()
        info["slot_uid_range"] = {"first": base, "last": base + count - 1, "slots": count}
    except SlotConfigError as exc:
        info["slot_uid_range"] = None
        info["missing"].append(str(exc))
    info["ok"] = not info["missing"]
    return info


def check_host() -> dict[str, Any]:
    """Mechanisms available here, with bubblewrap's version; `ok` is False when the minimum isolation is missing."""
    info = isolation()
    info["bwrap_version"] = _bwrap_version(info["bwrap"]) if info["bwrap"] else None
    info["state"] = state_permissions()
    info["runtimes"] = runtimes_report(sandbox_works=info["ok"])
    return info


def runtimes_report(sandbox_works: bool) -> dict[str, Any]:
    """Every grading runtime the site has (workers.runtimes): whether other uids can reach and run it, its Python
    and notable packages, and whether it starts inside a sandbox here (as a slot uid, bound at /opt/runtime)."""
    from workers import runtimes

    try:
        pythons = runtimes.pythons()
    except runtimes.RuntimeConfigError as exc:
        return {"error": str(exc)}
    report: dict[str, Any] = {}
    for name, python in sorted(pythons.items()):
        folder = str(Path(python).parent.parent)
        entry: dict[str, Any] = {"python": python, **runtime_access(folder)}
        described = runtimes.describe(name)
        if described["ok"]:
            entry.update(python_version=described["python_version"], packages=described["packages"])
        else:
            entry["problems"].append(described["problem"])
        if entry["problems"] == [] and sandbox_works:
            problem = _sandbox_problem(folder, described.get("python_version", ""))
            entry["runs_in_sandbox"] = problem is None
            entry["problems"] += [problem] if problem else []
        entry["ok"] = not entry["problems"]
        report[name] = entry
    return report


def _sandbox_problem(folder: str, version: str) -> str | None:
    """Why the runtime's Python does not start in a sandbox (None when it does, and says it is `version`)."""
    from .job import run
    from .limits import Limits

    with tempfile.TemporaryDirectory(prefix="runtime-check-") as workdir:
        os.chmod(workdir, 0o755)  # noqa: S103 -- the slot uid reaches it
        try:
            outcome = run(
                ["/opt/runtime/bin/python", "-I", "-c", "import sys; print(sys.version.split()[0])"],
                workdir=workdir,
                readonly=[(folder, "/opt/runtime")],
                limits=Limits(cpu_s=30, wall_s=30),
            )
        except Exception as exc:  # noqa: BLE001 -- reported, the check goes on
            return f"could not be tried in a sandbox: {exc}"
    if outcome.status != "ok" or outcome.stdout.strip() != version:
        return f"does not start in a sandbox ({outcome.status}): {(outcome.stderr or outcome.stdout)[-300:].strip()}"
    return None


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
