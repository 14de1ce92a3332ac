"""Every limit holds against a program that tries to exceed it, and the job is cleaned up."""

from __future__ import annotations

import dataclasses
import os
import resource
import select
import shutil
import subprocess
import sys
from pathlib import Path

from tests.sandbox.support import SMALL
from workers.sandbox import Limits, cgroups, run

REPO = Path(__file__).resolve().parents[2]


def limits(**changes: object):
    return dataclasses.replace(SMALL, **changes)


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_it_contains_a_fork_bomb_until_the_wall_limit(run_python) -> None:
    out = run_python(
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        limits=limits(wall_s=3, cpu_s=60, procs=16),
    )
    assert out.status == "timeout", out.stderr[-500:]
    assert out.wall_s < 30  # killed near its limit, not left to run (bounds generous: no timing asserts)


def test_it_stops_a_memory_bomb_in_one_process(run_python) -> None:
    out = run_python(
        """
        hoard = []
        while True:
            hoard.append(b"\x01" * (16 * 1024 * 1024))  # touched, so really resident
        """,
        limits=limits(memory_mb=128),
    )
    assert out.status == "memory", (out.exit_code, out.signal, out.stderr[-500:])


def test_it_stops_a_memory_bomb_spread_over_many_small_processes(run_python) -> None:
    out = run_python(
        """
        import os, sys, time
        children = []
        for _ in range(8):
            pid = os.fork()
            if pid == 0:
                block = b"\x01" * (40 * 1024 * 1024)  # 8 x 40 MB > 128 MB, each one small
                time.sleep(2)
                os._exit(0)
            children.append(pid)
        failed = 0
        for pid in children:
            _, status = os.waitpid(pid, 0)
            failed += status != 0
        sys.exit(1 if failed else 0)
        """,
        limits=limits(memory_mb=128, wall_s=20),
    )
    assert out.status == "memory", (out.exit_code, out.signal, out.stderr[-500:])
    assert out.wall_s < 20  # stopped for memory before the wall limit


def test_it_stops_a_cpu_loop_at_the_cpu_limit(run_python) -> None:
    out = run_python("while True: pass", limits=limits(cpu_s=1, wall_s=10))
    assert out.status == "cpu_limit"
    assert 0.9 <= out.cpu_s < 10  # it ran up to the limit, and no further than the wall limit


def test_it_stops_cpu_loops_in_several_processes_at_the_jobs_total_cpu_limit(run_python) -> None:
    # RLIMIT_CPU is per process; the cgroup's accounting bounds the sum.
    out = run_python(
        """
        import os
        for _ in range(3):
            if os.fork() == 0:
                break
        while True:
            pass
        """,
        limits=limits(cpu_s=2, wall_s=10),
    )
    assert out.status == "cpu_limit"
    assert out.wall_s < 10  # the total CPU limit ended it before the wall limit


def test_it_kills_a_sleeper_at_the_wall_limit(run_python) -> None:
    out = run_python("import time; print('started', flush=True); time.sleep(60)", limits=limits(wall_s=1))
    assert out.status == "timeout"
    assert out.stdout == "started\n"
    assert 1 <= out.wall_s < 30  # not before its limit; far before the 60 s sleep ends


def test_it_cuts_an_output_flood_at_the_output_limit_without_growing_the_worker(run_python) -> None:
    before = rss_kb()
    out = run_python(
        """
        import sys
        line = "x" * 1023 + "\\n"
        while True:
            sys.stdout.write(line * 1024)
        """,
        limits=limits(output_kb=64),
    )
    assert out.status == "output_limit"
    assert out.stdout_truncated
    assert not out.stderr_truncated
    assert len(out.stdout) == 64 * 1024
    assert rss_kb() - before < 20 * 1024


def test_it_caps_the_size_of_a_file_in_the_work_dir(run_python) -> None:
    out = run_python(
        """
        import os
        try:
            with open("big.bin", "wb") as f:
                for _ in range(8):
                    f.write(b"x" * 1024 * 1024)
        finally:
            print(os.path.getsize("big.bin"))
        """,
        limits=limits(fsize_mb=2),
    )
    assert out.status == "exit_nonzero"
    assert "File too large" in out.stderr
    assert int(out.stdout) <= 2 * 1024 * 1024


def test_it_caps_the_scratch_tmpfs(run_python) -> None:
    out = run_python(
        """
        import os, sys
        for i in range(100):
            with open(f"/tmp/fill{i}", "wb") as f:
                f.write(b"x" * 1024 * 1024)
        """,
        limits=limits(tmpfs_mb=8, fsize_mb=64),
    )
    assert out.status == "exit_nonzero"
    assert "No space left on device" in out.stderr


def test_it_caps_dev_shm(run_python) -> None:
    out = run_python(
        """
        with open("/dev/shm/fill", "wb") as f:
            for _ in range(64):
                f.write(b"x" * 1024 * 1024)
                f.flush()
        """,
        limits=limits(tmpfs_mb=8, fsize_mb=64),
    )
    assert out.status == "exit_nonzero"
    assert "No space left on device" in out.stderr


def test_it_kills_a_double_forked_setsid_daemon_with_the_job(run_python, make_dir) -> None:
    # The daemon holds a host FIFO open for writing (bound read-only: a FIFO's data is no write to the mount);
    # the host sees end-of-file once every writer is gone, that is once the daemon is dead.
    probe = make_dir()
    fifo = probe / "alive"
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)  # noqa: S103 - the slot uid writes to it
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        out = run_python(
            """
            import os, time
            ready_r, ready_w = os.pipe()
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    alive = os.open("/probe/alive", os.O_WRONLY)
                    os.write(ready_w, b"x")
                    while True:
                        os.write(alive, b".")
                        time.sleep(0.05)
                os._exit(0)
            os.read(ready_r, 1)  # the daemon runs and holds the FIFO
            print("parent leaves")
            """,
            readonly=((str(probe), "/probe"),),
        )
        assert out.status == "ok", out.stderr
        assert out.stdout == "parent leaves\n"
        received = b""
        poller = select.poll()
        poller.register(reader, select.POLLIN)
        while True:
            assert poller.poll(60_000), "the daemon outlived its job (it still holds the FIFO)"
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break  # end of file: no writer is left
            received += chunk
        assert received.startswith(b".")
    finally:
        os.close(reader)


def test_it_survives_a_program_that_kills_its_parent_and_everything_it_can(run_python) -> None:
    out = run_python("""
        import os, signal
        for target in (os.getppid(), 1, -1):
            try:
                os.kill(target, signal.SIGKILL)
                print("sent", target)
            except OSError as exc:
                print("refused", target, type(exc).__name__)
        print("still here")
    """)
    assert out.status == "ok", out.stderr
    assert "still here" in out.stdout
    assert os.getpid() > 0  # and so are we: the worker was never reachable


def test_it_reports_a_fatal_signal(run_python) -> None:
    out = run_python("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert out.status == "signal"
    assert out.signal == 11
    assert out.exit_code is None


def test_it_reports_a_nonzero_exit_code(run_python) -> None:
    out = run_python("import sys; print('bye'); sys.exit(7)")
    assert out.status == "exit_nonzero"
    assert out.exit_code == 7
    assert out.stdout == "bye\n"


def test_it_keeps_each_limit_as_an_rlimit_inside(run_python) -> None:
    out = run_python("""
        import resource
        for name in ("RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_AS"):
            print(name, resource.getrlimit(getattr(resource, name))[0])
    """)
    assert out.status == "ok", out.stderr
    got = dict(line.split() for line in out.stdout.splitlines())
    assert got["RLIMIT_CPU"] == "10"
    assert got["RLIMIT_NOFILE"] == "64"
    assert got["RLIMIT_FSIZE"] == str(16 * 1024 * 1024)
    assert got["RLIMIT_CORE"] == "0"
    assert int(got["RLIMIT_AS"]) > 0
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] != 64  # the worker's own are untouched


def test_empty_job_cgroups_of_dead_processes_are_swept() -> None:
    # A worker or judge killed outright (kill -9) cannot remove its job's cgroup; the next process to use the
    # sandbox does, unless the cgroup still holds a process or its creator is alive (it holds the cgroup's lock).
    lay, why = cgroups.layout()
    assert lay is not None, why
    creator = subprocess.Popen(
        [sys.executable, "-c", FOREIGN_WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert creator.stdout is not None and creator.stdin is not None
    dead = creator.stdout.readline().split()
    creator.kill()
    creator.wait()
    alive = cgroups.JobCgroup(lay, 9, SMALL)
    others = [os.path.join(parent, "not-a-job") for parent in lay.parents.values()]
    try:
        for path in others:
            os.mkdir(path)
        removed = cgroups.sweep_orphans(lay)
        assert set(dead) and set(dead) <= set(removed)
        assert all(os.path.isdir(path) for path in [*alive.dirs.values(), *others])
    finally:
        alive.remove()
        for path in [*dead, *others]:
            if os.path.isdir(path):
                os.rmdir(path)


# A worker's process that creates one job cgroup (for slot 0) and holds it until its stdin closes.
FOREIGN_WORKER = """
import sys
from workers.sandbox import cgroups, Limits
lay, why = cgroups.layout()
cg = cgroups.JobCgroup(lay, 0, Limits())
print(" ".join(sorted(cg.dirs.values())), flush=True)
sys.stdin.read()
"""


def _free_pid() -> int:
    """A pid number that no process of this (pid) namespace has."""
    return next(pid for pid in range(20000, 30000) if not os.path.exists(f"/proc/{pid}"))


def _worker_in_another_container(pid: int) -> subprocess.Popen:
    """FOREIGN_WORKER in a pid namespace of its own, where it is process `pid`: like a second worker container
    on this host, whose pids mean nothing here, but which shares the host's cgroup tree."""
    script = 'echo $(($0 - 1)) > /proc/sys/kernel/ns_last_pid; "$1" -c "$2"; true'
    return subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", "sh", "-c", script, str(pid), sys.executable, FOREIGN_WORKER],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip


def _their_cgroups(worker: subprocess.Popen) -> list[str]:
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line, f"the other worker could not create its job cgroup (exit {worker.wait()})"
    return line.split()


def test_two_workers_with_the_same_pid_in_different_containers_get_different_job_cgroups() -> None:
    pid = _free_pid()
    first, second = _worker_in_another_container(pid), _worker_in_another_container(pid)
    try:
        mine, theirs = _their_cgroups(first), _their_cgroups(second)
        assert mine != theirs
        assert all(f"-{pid}-" in path for path in mine + theirs)  # both were pid `pid` where they ran
    finally:
        for worker in (first, second):
            worker.communicate("")
        for path in cgroups.sweep_orphans(cgroups.layout()[0]):
            assert not os.path.exists(path)


def test_the_sweep_leaves_another_containers_live_job_cgroups_and_takes_them_once_it_is_gone() -> None:
    lay, why = cgroups.layout()
    assert lay is not None, why
    other = _worker_in_another_container(_free_pid())
    try:
        theirs = _their_cgroups(other)
        # Empty (no process joined yet, or already ended but not yet accounted), and its creator's pid is not
        # in this namespace: yet it is alive, and its cgroup is not ours to remove.
        removed = cgroups.sweep_orphans(lay)
        assert not set(theirs) & set(removed)
        assert all(os.path.isdir(path) for path in theirs)
    finally:
        other.communicate("")  # it exits without removing its cgroup, like a worker killed outright
    assert set(theirs) <= set(cgroups.sweep_orphans(lay))
    assert not any(os.path.exists(path) for path in theirs)


def test_it_caps_the_work_folder_as_a_whole_and_nothing_reaches_the_host(run_python, workdir) -> None:
    # Many files under the per-file cap: before, each landed on the worker's disk until it was full.
    usage_before = shutil.disk_usage(workdir).used
    out = run_python(
        """
        import os
        written = 0
        try:
            for i in range(64):
                with open(f"fill{i}", "wb") as f:
                    f.write(b"x" * 2**20)
                written += 1
        except OSError as exc:
            print("stopped", os.strerror(exc.errno), written)
        print("/work" in [line.split()[4] for line in open("/proc/self/mountinfo") if " - tmpfs " in line])
        """,
        limits=limits(work_mb=8, fsize_mb=64),
    )
    assert out.status == "ok", out.stderr
    stopped, fstype = out.stdout.splitlines()
    assert stopped.startswith("stopped No space left on device ")
    assert int(stopped.split()[-1]) <= 8  # 8 MB of room beside main.py
    assert fstype == "True"  # /work is a tmpfs of the job's own
    assert sorted(os.listdir(workdir)) == ["main.py"]
    # No timing, just bytes: the 64 MB it tried to write never reached the host's disk (others may write a little).
    assert shutil.disk_usage(workdir).used - usage_before < 32 * 2**20


def test_it_caps_the_number_of_files_in_work_tmp_and_dev_shm(run_python, workdir) -> None:
    # Empty files cost no bytes, only inodes (and kernel memory): each writable folder holds work_files of them.
    out = run_python(
        """
        import os
        for folder in ("/work", "/tmp", "/dev/shm"):
            made = 0
            try:
                for i in range(12000):
                    os.close(os.open(f"{folder}/f{i}", os.O_CREAT | os.O_WRONLY, 0o600))
                    made += 1
                print(folder, "all", made)
            except OSError as exc:
                print(folder, os.strerror(exc.errno).replace(" ", "_"), made)
        """,
    )
    assert out.status == "ok", out.stderr
    for line in out.stdout.splitlines():
        folder, result, made = line.split()
        assert result == "No_space_left_on_device", line
        assert int(made) <= Limits().work_files
    assert sorted(os.listdir(workdir)) == ["main.py"]


def test_the_work_folders_pages_count_against_the_jobs_memory(run_python) -> None:
    # tmpfs pages are the job's memory: filling /work past memory_mb ends the job as out of memory.
    out = run_python(
        """
        for i in range(16):
            with open(f"fill{i}", "wb") as f:
                for _ in range(16):
                    f.write(b"x" * 2**20)
        print("wrote 256 MB")
        """,
        limits=limits(memory_mb=128, work_mb=1024, fsize_mb=64),
    )
    assert out.status == "memory", (out.status, out.stderr[-500:])
    assert "wrote 256 MB" not in out.stdout


def test_a_submission_larger_than_the_cap_still_fits_and_the_cap_bounds_what_it_writes(run_python, workdir) -> None:
    (workdir / "data.bin").write_bytes(b"x" * 3 * 2**20)
    deep = workdir
    for _ in range(1500):  # nested deeper than Python's recursion limit, within the host's path length
        deep = deep / "d"
        deep.mkdir()
    (deep / "leaf.txt").write_text("deep")
    try:
        out = run_python(
            """
            import os
            print(len(open("data.bin", "rb").read()), open("/".join(["d"] * 1500) + "/leaf.txt").read())
            written = 0
            try:
                with open("more.bin", "wb") as f:
                    for _ in range(8):
                        f.write(b"y" * 2**20)
                        f.flush()
                        written += 1
            except OSError as exc:
                print(os.strerror(exc.errno), written)
            """,
            limits=limits(work_mb=2, fsize_mb=64),
        )
    finally:
        subprocess.run(["rm", "-rf", str(workdir / "d")], check=True)  # rmtree recurses
    assert out.status == "ok", out.stderr
    given, room = out.stdout.splitlines()
    assert given == f"{3 * 2**20} deep"
    assert room.startswith("No space left on device ")
    assert int(room.split()[-1]) <= 2


def test_the_student_gets_its_own_copy_of_the_work_dir_each_time(run_python, workdir) -> None:
    (workdir / "pkg").mkdir()
    (workdir / "pkg" / "data.txt").write_text("given")
    (workdir / "pkg" / "link").symlink_to("data.txt")
    code = """
        import os
        print(open("pkg/link").read(), os.path.exists("mine.txt"))
        open("pkg/data.txt", "w").write("changed")
        open("mine.txt", "w").write("x")
        os.remove("main.py")
    """
    first, second = run_python(code), run_python(code)
    assert first.status == second.status == "ok", first.stderr + second.stderr
    assert first.stdout == second.stdout == "given False\n"
    assert (workdir / "pkg" / "data.txt").read_text() == "given"
    assert sorted(os.listdir(workdir)) == ["main.py", "pkg"]


def test_a_submission_larger_than_the_memory_limit_ends_as_out_of_memory(workdir) -> None:
    # Its copy into the job's tmpfs is charged to the job: the student's outcome, never a sandbox error.
    with open(workdir / "data.bin", "wb") as f:
        for _ in range(96):
            f.write(b"x" * 2**20)
    out = run(["/bin/true"], workdir=str(workdir), limits=limits(memory_mb=48, work_mb=16))
    assert out.status == "memory", (out.status, out.stderr[-500:])
