"""Builds the bubblewrap command line of a job (pure, so it can be checked without running it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence

from .limits import Limits

SANDBOX_WORKDIR = "/work"
# A spawned job's channel: requests in on fd 3, replies out on fd 4, and a Unix socket for passing fds on fd 7
# (5 and 6 carry bwrap's seccomp filter and status).
CHANNEL_FDS = (3, 4)
CHANNEL_SOCKET_FD = 7
# Inside its user namespace the job is always uid/gid 1000, whichever slot uid it has
# outside: one static /etc/passwd serves every slot and the slot number stays hidden.
INNER_UID = 1000
# A synthetic passwd (no secrets: the "x" means no password here), so getpwuid works.
ETC_PASSWD_TEXT = (
    "root:x:0:0:root:/:/usr/sbin/nologin\n"  # noqa: S105
    "sandbox:x:1000:1000:sandbox:/work:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
)
ETC_GROUP_TEXT = "root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n"

# Host /etc pieces a program needs to run; nothing secret (no shadow, ssl keys, hosts).
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf")
_ETC_DIRS = ("/etc/ld.so.conf.d", "/etc/alternatives")
_TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_GPU_SHARED_NODES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset")

ReadOnly = str | tuple[str, str]


def normalise_readonly(readonly: Iterable[ReadOnly]) -> list[tuple[str, str]]:
    pairs = []
    for item in readonly:
        src, dest = (item, item) if isinstance(item, str) else item
        src, dest = os.path.abspath(src), os.path.normpath(dest)
        if not os.path.isabs(dest):
            raise ValueError(f"sandbox path must be absolute: {dest!r}")
        pairs.append((src, dest))
    return pairs


def gpu_binds(gpu: int, exists: Callable[[str], bool] = os.path.exists) -> list[str]:
    """Device binds for GPU `gpu`: its own node plus the driver's shared control nodes."""
    node = f"/dev/nvidia{int(gpu)}"
    if not exists(node):
        raise ValueError(f"GPU {gpu}: {node} does not exist")
    args = ["--dev-bind", node, node]
    for shared in _GPU_SHARED_NODES:
        if exists(shared):
            args += ["--dev-bind", shared, shared]
    return args


def build_argv(
    argv: Sequence[str],
    *,
    bwrap: str,
    workdir: str,
    readonly: Sequence[tuple[str, str]],
    limits: Limits,
    etc_dir: str,
    gpu: int | None = None,
    seccomp_fd: int | None = None,
    status_fd: int | None = None,
    private_dir: str | None = None,
    exists: Callable[[str], bool] = os.path.exists,
    islink: Callable[[str], bool] = os.path.islink,
) -> list[str]:
    """The full bwrap argv that runs `argv` in a job's sandbox. With `private_dir` (the job's own capped tmpfs
    under it, see mounts.py), /work, /tmp and /dev/shm are bound from there; else /work is `workdir` itself and
    /tmp and /dev/shm are bwrap's size-capped tmpfs."""
    tmpfs = str(limits.tmpfs_mb * 1024 * 1024)
    cmd = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
        "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--uid", str(INNER_UID), "--gid", str(INNER_UID), "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    for top in _TOP_LEVEL:
        if islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif exists(top):
            cmd += ["--ro-bind", top, top]
    cmd += ["--perms", "0755", "--dir", "/etc"]
    for path in _ETC_FILES + _ETC_DIRS:
        cmd += ["--ro-bind-try", path, path]
    cmd += ["--ro-bind", f"{etc_dir}/passwd", "/etc/passwd", "--ro-bind", f"{etc_dir}/group", "/etc/group"]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    if private_dir is not None:
        cmd += [
            "--bind", f"{private_dir}/tmp", "/tmp",
            "--bind", f"{private_dir}/shm", "/dev/shm",
            "--bind", f"{private_dir}/work", SANDBOX_WORKDIR,
        ]  # fmt: skip
    else:
        cmd += [
            "--perms", "1777", "--size", tmpfs, "--tmpfs", "/tmp",
            "--perms", "1777", "--size", tmpfs, "--tmpfs", "/dev/shm",
            "--bind", workdir, SANDBOX_WORKDIR,
        ]  # fmt: skip
    for src, dest in readonly:
        cmd += ["--ro-bind", src, dest]
    if gpu is not None:
        cmd += gpu_binds(gpu, exists)
    # The root and /dev are bwrap's scratch tmpfs (uncapped, owned by the job's uid): make them read-only so that
    # only /work, /tmp and /dev/shm (all capped) take writes. Device nodes still work on a read-only mount.
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", SANDBOX_WORKDIR]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    if status_fd is not None:
        cmd += ["--json-status-fd", str(status_fd)]
    return [*cmd, "--", *argv]


def base_env(env: dict[str, str] | None, *, channel: bool, gpu: int | None) -> dict[str, str]:
    """The job's complete environment: a minimal base, the caller's `env`, our markers."""
    out = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_WORKDIR,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
    }
    out.update(env or {})
    if channel:
        out["SANDBOX_CHANNEL_FDS"] = ",".join(str(fd) for fd in CHANNEL_FDS)
        out["SANDBOX_CHANNEL_SOCKET"] = str(CHANNEL_SOCKET_FD)
    else:
        out.pop("SANDBOX_CHANNEL_FDS", None)
        out.pop("SANDBOX_CHANNEL_SOCKET", None)
    if gpu is not None:
        # Only the one bound node is visible, so CUDA numbers it 0.
        out["CUDA_VISIBLE_DEVICES"] = "0"
    return out
