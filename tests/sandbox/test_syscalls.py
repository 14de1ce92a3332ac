"""The seccomp filter and namespaces refuse the syscalls a sandbox escape starts with."""

from __future__ import annotations


def test_it_refuses_ptrace(run_python) -> None:
    out = run_python("""
        import ctypes, os, time
        libc = ctypes.CDLL(None, use_errno=True)
        child = os.fork()
        if child == 0:
            time.sleep(5)
            os._exit(0)
        for request, pid in ((16, child), (0, 0)):  # PTRACE_ATTACH, PTRACE_TRACEME
            rc = libc.ptrace(request, pid, None, None)
            print(rc, os.strerror(ctypes.get_errno()))
        os.kill(child, 9)
    """)
    assert out.status == "ok", out.stderr
    assert out.stdout.splitlines() == ["-1 Operation not permitted", "-1 Operation not permitted"]


def test_it_refuses_new_namespaces_mounts_and_kernel_keys(run_python) -> None:
    out = run_python("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        calls = {
            "unshare(NEWUSER)": lambda: libc.unshare(0x10000000),
            "unshare(NEWNS)": lambda: libc.unshare(0x00020000),
            "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
            "umount2": lambda: libc.umount2(b"/tmp", 0),
            "keyctl": lambda: libc.syscall(250, 0, 0, 0, 0),
            "bpf": lambda: libc.syscall(321, 0, 0, 0),
            "io_uring_setup": lambda: libc.syscall(425, 1, 0),
            "clone(NEWUSER)": lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0),
        }
        for name, call in calls.items():
            rc = call()
            print(name, rc, os.strerror(ctypes.get_errno()))
    """)
    assert out.status == "ok", out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 8
    for line in lines:
        assert line.endswith("-1 Operation not permitted"), line


def test_it_refuses_non_unix_sockets_but_allows_unix_socketpairs(run_python) -> None:
    out = run_python("""
        import socket
        a, b = socket.socketpair()
        a.sendall(b"ping")
        print(b.recv(4))
        for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
            try:
                socket.socket(family, socket.SOCK_RAW if family == socket.AF_PACKET else socket.SOCK_DGRAM)
                print("OPENED", family)
            except OSError as exc:
                print("blocked", exc.errno)
    """)
    assert out.status == "ok", out.stderr
    assert out.stdout.splitlines() == ["b'ping'"] + ["blocked 1"] * 4


def test_it_runs_the_program_as_an_unprivileged_slot_uid(run_python, workdir) -> None:
    out = run_python("""
        import os
        print(os.getuid(), os.getgid(), os.getgroups())
        open("made.txt", "w").write("x")
    """)
    assert out.status == "ok", out.stderr
    assert out.stdout == "1000 1000 []\n"
    slot_uid = out.isolation["uid"]
    assert 61000 <= slot_uid < 61128
    # Outside, what it created belongs to the slot uid, never to root.
    assert (workdir / "made.txt").stat().st_uid == slot_uid
    assert out.isolation["seccomp"] is True
    assert out.isolation["cgroup"] in ("v1", "v2")
