"""One cgroup per sandbox job (v1 memory+pids+cpuacct+cpu, or v2): limits, accounting, tree kill, CPU weight.

The jobs' common parent carries their CPU weight, all of them together against the rest of the host (the web
server, the database): that of one process at the jobs' nice (Limits.nice), so that a page is served before a
test runs. A weight, not a cap: with nothing else to run, the jobs get every core. nice(2) alone does not do it
where the kernel groups processes by session (sched_autogroup, on by default on Debian and Ubuntu): bwrap's
--new-session, or a student's setsid(), puts the process in an autogroup of its own, against which the web
server's whole session counts as one, whatever either's nice. A process in a cgroup of the cpu controller other
than the root is in no autogroup, and cannot leave the cgroup.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import itertools
import os
import re
import secrets
import signal
import time
from dataclasses import dataclass

from .limits import Limits

# Controllers a job may go without (v1): accounting and the CPU weight; memory and pids are required.
_OPTIONAL = ("cpuacct", "cpu")

_ROOT = "/sys/fs/cgroup"
_GROUP = "coursesite-sandbox"
_counter = itertools.count()
# job-<token>-<pid>-<n>: the token is random per process, so two workers whose cgroup trees meet (privileged
# containers on one host see the host's hierarchy; their pids are container-local) never pick one name. The pid
# is there for people reading the tree; who is alive is told by a lock, not by the pid (see JobCgroup).
_NAME = re.compile(r"job-[0-9a-f]{12}-[0-9]+-[0-9]+")
_token: tuple[int, str] | None = None


def _process_token() -> str:
    """A random token of this process (a forked child draws its own)."""
    global _token
    if _token is None or _token[0] != os.getpid():
        _token = (os.getpid(), secrets.token_hex(6))
    return _token[1]


def job_name() -> str:
    return f"job-{_process_token()}-{os.getpid()}-{next(_counter)}"


@dataclass(frozen=True)
class Layout:
    version: str  # "v1" or "v2"
    parents: dict[str, str]  # v1: controller -> our parent dir (co-mounted ones share it); v2: {"unified": dir}
    note: str = ""
    weighted: bool = False  # the jobs' parent carries their CPU weight (see the module's docstring)


def v1_shares(nice: int | None = None) -> int:
    """cpu.shares (v1; 1024 for nice 0) of one process at `nice`: the kernel's weights fall by 1.25 a step."""
    return max(2, round(1024 / 1.25 ** (Limits().nice if nice is None else nice)))


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _v1_mounts() -> dict[str, str]:
    """controller -> mount point of the v1 hierarchy that carries it."""
    found: dict[str, str] = {}
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4 and parts[2] == "cgroup":
                for opt in parts[3].split(","):
                    found.setdefault(opt, parts[1])
    return found


def _detect() -> tuple[Layout | None, str]:
    if os.geteuid() != 0:
        return None, "cgroups need a root worker"
    if os.path.exists(f"{_ROOT}/cgroup.controllers"):
        return _detect_v2()
    mounts = _v1_mounts()
    if "memory" not in mounts or "pids" not in mounts:
        return None, "no cgroup v2 and no v1 memory+pids hierarchies"
    parents: dict[str, str] = {}
    for ctrl in ("memory", "pids", *_OPTIONAL):
        if ctrl not in mounts:
            continue
        # At the hierarchy root, not under the worker's own cgroup: a container
        # manager that later removes the worker's cgroup must not trip over ours.
        parent = os.path.join(mounts[ctrl], _GROUP)
        try:
            os.makedirs(parent, exist_ok=True)
            if ctrl == "cpu":
                _write(f"{parent}/cpu.shares", str(v1_shares()))
        except OSError as exc:
            if ctrl in _OPTIONAL:
                continue
            return None, f"cannot create {parent}: {exc.strerror}"
        parents[ctrl] = parent
    return Layout("v1", parents, weighted="cpu" in parents), ""


def _detect_v2() -> tuple[Layout | None, str]:
    wanted = {"memory", "pids"}
    available = set(_read(f"{_ROOT}/cgroup.controllers").split())
    if not wanted <= available:
        return None, f"cgroup v2 lacks controllers {sorted(wanted - available)}"
    parent = f"{_ROOT}/{_GROUP}"
    try:
        _enable_v2(_ROOT, wanted)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            return None, f"cannot enable cgroup v2 controllers: {exc.strerror}"
        # Inside a container the namespace's root cgroup holds our processes, and v2
        # forbids controllers on a cgroup with members ("no internal processes").
        # Move this container's processes into a leaf, as docker-in-docker does.
        leaf = f"{_ROOT}/worker"
        try:
            os.makedirs(leaf, exist_ok=True)
            for pid in _read(f"{_ROOT}/cgroup.procs").split():
                try:
                    _write(f"{leaf}/cgroup.procs", pid)
                except OSError:
                    pass  # kernel threads or already-gone processes
            _enable_v2(_ROOT, wanted)
        except OSError as exc2:
            return None, f"cannot enable cgroup v2 controllers: {exc2.strerror}"
    try:
        os.makedirs(parent, exist_ok=True)
        _enable_v2(parent, wanted)
    except OSError as exc:
        return None, f"cannot prepare {parent}: {exc.strerror}"
    weighted = False
    if "cpu" in available:
        try:  # optional: the kernel refuses the cpu controller while, say, a realtime process sits in a cgroup
            _enable_v2(_ROOT, {"cpu"})
            _write(f"{parent}/cpu.weight.nice", str(Limits().nice))
            weighted = True
        except OSError:
            pass
    return Layout("v2", {"unified": parent}, weighted=weighted), ""


def _enable_v2(path: str, controllers: set[str]) -> None:
    enabled = set(_read(f"{path}/cgroup.subtree_control").split())
    missing = controllers - enabled
    if missing:
        _write(f"{path}/cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(missing)))


@functools.cache
def layout() -> tuple[Layout | None, str]:
    """The host's usable cgroup layout (cached), or None and why not. Once per process, empty job cgroups left by
    processes that are gone (a worker or judge killed outright) are removed."""
    try:
        found = _detect()
    except OSError as exc:
        return None, f"cgroups unusable: {exc}"
    if found[0] is not None:
        sweep_orphans(found[0])
    return found


def sweep_orphans(lay: Layout) -> list[str]:
    """Remove the empty job cgroups whose creator has gone: each live job holds an exclusive flock on its
    cgroup directories, which the kernel drops when the holder dies, whatever container or pid namespace it was
    in. A cgroup that still holds a process is left alone too (rmdir refuses it); names of another format
    (another program's, or this one's before the lock) are never touched."""
    removed = []
    for parent in dict.fromkeys(lay.parents.values()):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            if not _NAME.fullmatch(name):
                continue
            path = os.path.join(parent, name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.rmdir(path)
                removed.append(path)
            except OSError:
                pass  # held by a live job (BlockingIOError), or not empty
            finally:
                os.close(fd)
    return removed


class JobCgroup:
    """The cgroup(s) of one job; created before the job starts and removed after it ends."""

    def __init__(self, lay: Layout, slot: int, limits: Limits) -> None:
        self.version = lay.version
        self.weighted = lay.weighted
        self.slot = slot
        self.dirs: dict[str, str] = {}
        self._locks: list[int] = []
        try:
            for _ in range(3):
                name = job_name()
                if self._make(lay, name):
                    break
                self._drop()
            else:
                raise OSError(errno.EEXIST, "could not create a job cgroup of a fresh name")
            self._apply(limits)
        except BaseException:
            self.remove(timeout=0.5)
            raise

    def _make(self, lay: Layout, name: str) -> bool:
        """Create and lock the directories; False if a sweeper removed one before the lock was taken."""
        for ctrl, parent in lay.parents.items():
            path = os.path.join(parent, name)
            if path in self.dirs.values():  # co-mounted controllers (cpu,cpuacct) share one directory
                self.dirs[ctrl] = path
                continue
            os.mkdir(path)
            self.dirs[ctrl] = path
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self._locks.append(fd)
            fcntl.flock(fd, fcntl.LOCK_EX)  # a sweeper holds it only for its rmdir attempt
            try:
                if os.stat(path).st_ino != os.fstat(fd).st_ino:
                    return False
            except FileNotFoundError:
                return False
        return True

    def _drop(self) -> None:
        for path in self.dirs.values():
            try:
                os.rmdir(path)
            except OSError:
                pass
        self.dirs = {}
        self._release()

    def _release(self) -> None:
        for fd in self._locks:
            os.close(fd)
        self._locks = []

    def _apply(self, limits: Limits) -> None:
        mem = str(limits.memory_mb * 1024 * 1024)
        # bwrap's outer process and its pid-1 reaper live in the cgroup too.
        pids = str(limits.procs + 2)
        if self.version == "v2":
            d = self.dirs["unified"]
            _write(f"{d}/memory.max", mem)
            if os.path.exists(f"{d}/memory.swap.max"):
                _write(f"{d}/memory.swap.max", "0")
            _write(f"{d}/pids.max", pids)
            return
        m = self.dirs["memory"]
        _write(f"{m}/memory.limit_in_bytes", mem)
        if os.path.exists(f"{m}/memory.memsw.limit_in_bytes"):
            _write(f"{m}/memory.memsw.limit_in_bytes", mem)  # no escape into swap
        _write(f"{self.dirs['pids']}/pids.max", pids)

    @property
    def procs_files(self) -> list[str]:
        """Files the job's first process joins its cgroups through, from preexec, still as root. On v1 that is
        `tasks`, written "0": the forked child has one thread, and moving one thread of one's own skips the
        kernel's global threadgroup lock, whose RCU synchronisation made each first move take 10-15 ms (0.2 ms
        this way). On v2, `cgroup.procs`, written the pid."""
        name = "cgroup.procs" if self.version == "v2" else "tasks"
        return [os.path.join(d, name) for d in dict.fromkeys(self.dirs.values())]

    def _main_dir(self) -> str:
        return self.dirs.get("unified") or self.dirs["pids"]

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in _read(f"{self._main_dir()}/cgroup.procs").split()]
        except OSError:
            return []

    def cpu_s(self) -> float | None:
        try:
            if self.version == "v2":
                for line in _read(f"{self.dirs['unified']}/cpu.stat").splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) / 1e6
                return None
            if "cpuacct" in self.dirs:
                return int(_read(f"{self.dirs['cpuacct']}/cpuacct.usage")) / 1e9
        except (OSError, ValueError):
            pass
        return None

    def memory_peak_kb(self) -> int | None:
        name = "memory.peak" if self.version == "v2" else "memory.max_usage_in_bytes"
        d = self.dirs.get("unified") or self.dirs.get("memory")
        try:
            return int(_read(f"{d}/{name}")) // 1024
        except (OSError, ValueError, TypeError):
            return None

    def oom_kills(self) -> int:
        d = self.dirs.get("unified") or self.dirs.get("memory")
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        try:
            for line in _read(f"{d}/{name}").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill(self) -> None:
        """SIGKILL every member; v2 does it atomically, v1 by repeated scans (a fork race is
        bounded by pids.max, and the pid namespace's collapse catches the rest)."""
        if self.version == "v2" and os.path.exists(f"{self.dirs['unified']}/cgroup.kill"):
            try:
                _write(f"{self.dirs['unified']}/cgroup.kill", "1")
                return
            except OSError:
                pass
        for _ in range(3):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def empty(self) -> bool:
        return not self.pids()

    def remove(self, timeout: float = 5.0) -> bool:
        """Kill what is left and remove the directories; True when all are gone."""
        deadline = time.monotonic() + timeout
        pending = list(dict.fromkeys(self.dirs.values()))
        delay = 0.001
        while pending:
            if self.dirs and not self.empty():
                self.kill()
            still = []
            for d in pending:
                try:
                    os.rmdir(d)
                except FileNotFoundError:
                    pass
                except OSError:
                    still.append(d)
            pending = still
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        # One left behind (still busy) is unlocked too: a later sweep removes it once it is empty.
        self._release()
        return not pending
