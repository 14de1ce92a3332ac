"""The public surface: spawn's channel, the command line, check_host, stdin, GPU binds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.sandbox.support import PYTHON, RUNTIME, RUNTIME_BIND, SMALL
from workers.sandbox import Limits, cgroups, check_host, run, spawn
from workers.sandbox.bwrap import base_env, build_argv
from workers.sandbox.child import rlimits
from workers.sandbox.host import slot_range

REPO = Path(__file__).resolve().parents[2]

ECHO = """
import os
assert os.environ["SANDBOX_CHANNEL_FDS"] == "3,4"
requests = os.fdopen(3, "rb")
replies = os.fdopen(4, "wb")
for line in requests:
    replies.write(line.upper())
    replies.flush()
print("served")
"""


def test_it_echoes_requests_over_the_spawn_channel(workdir) -> None:
    (workdir / "echo.py").write_text(ECHO)
    job = spawn([PYTHON, "echo.py"], workdir=str(workdir), readonly=[RUNTIME_BIND], limits=SMALL)
    assert job.channel_in is not None and job.channel_out is not None
    replies = []
    for word in (b"alpha\n", b"beta\n", b"gamma\n"):
        job.channel_in.write(word)
        job.channel_in.flush()
        replies.append(job.channel_out.readline())
    job.channel_in.close()
    out = job.wait()
    job.channel_out.close()
    assert replies == [b"ALPHA\n", b"BETA\n", b"GAMMA\n"]
    assert out.status == "ok", out.stderr
    assert out.stdout == "served\n"


def test_it_ends_a_spawned_job_at_its_wall_limit_even_while_the_judge_blocks_reading(workdir) -> None:
    job = spawn([PYTHON, "-c", "import time; time.sleep(60)"], workdir=str(workdir), readonly=[RUNTIME_BIND],
                limits=Limits(wall_s=1, cpu_s=5, memory_mb=256))  # fmt: skip
    assert job.channel_out is not None
    assert job.channel_out.read() == b""  # EOF once the tree is dead, not a hang
    out = job.wait()
    assert out.status == "timeout"
    assert out.wall_s < 30  # far before the 60 s sleep ends


def test_it_kills_a_spawned_job_on_request(workdir) -> None:
    job = spawn(["/bin/sleep", "60"], workdir=str(workdir), limits=SMALL)
    out = job.kill()
    assert out.status == "signal"
    assert out.signal == 9


def test_it_gives_run_no_channel_and_feeds_stdin(workdir) -> None:
    out = run([PYTHON, "-c", "import os, sys; print(os.environ.get('SANDBOX_CHANNEL_FDS'), sys.stdin.read()[::-1])"],
              workdir=str(workdir), readonly=[RUNTIME_BIND], limits=SMALL, stdin="olleh", env={"A": "1"})  # fmt: skip
    assert out.status == "ok", out.stderr
    assert out.stdout == "None hello\n"


def test_it_runs_from_the_command_line_and_prints_one_json_object(workdir) -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "workers.sandbox", "run", "--json", "--cpu", "5", "--wall", "10", "--memory", "256",
         "--output", "16", "--ro", RUNTIME, "--workdir", str(workdir), "--", f"{RUNTIME}/bin/python", "-c",
         "print(6 * 7)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    stdout, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 0, stderr
    # It exits only once its job's cgroup is removed (the job's teardown ends after its outcome is known).
    assert not list(Path("/sys/fs/cgroup").glob(f"*/coursesite-sandbox/job-*-{cli.pid}-*")), "cgroup left behind"
    assert not list(Path("/sys/fs/cgroup").glob(f"coursesite-sandbox/job-*-{cli.pid}-*")), "cgroup left behind"
    doc = json.loads(stdout)
    assert set(doc) == {"status", "exit_code", "signal", "cpu_s", "wall_s", "max_rss_kb", "stdout", "stderr",
                        "stdout_truncated", "stderr_truncated", "isolation"}  # fmt: skip
    assert doc["status"] == "ok"
    assert doc["stdout"] == "42\n"


def test_it_reports_a_timeout_from_the_command_line(workdir) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "workers.sandbox", "run", "--json", "--wall", "1", "--workdir", str(workdir),
         "--", "/bin/sleep", "30"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert json.loads(res.stdout)["status"] == "timeout"


def test_it_checks_the_host_from_the_command_line() -> None:
    res = subprocess.run([sys.executable, "-m", "workers.sandbox", "check"], capture_output=True, text=True,
                         cwd=REPO, timeout=60, check=False)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    info = json.loads(res.stdout)
    assert info["ok"] is True
    assert info["namespaces"] is True
    assert info == check_host() | {"python": info["python"]}


def test_it_reports_this_hosts_isolation() -> None:
    info = check_host()
    assert info["ok"] and info["slot_uids"] and info["seccomp"]
    assert info["cgroup"] in ("v1", "v2")
    assert info["runtime"]["ok"], info["runtime"]["problems"]
    assert info["work_tmpfs"] is True  # /work, /tmp and /dev/shm can be the job's own capped tmpfs
    base, count = slot_range()
    assert info["slot_uid_range"] == {"first": base, "last": base + count - 1, "slots": count}


def test_it_binds_only_the_chosen_gpu_and_its_control_nodes() -> None:
    present = {"/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"}
    argv = build_argv(["python"], bwrap="bwrap", workdir="/w", readonly=[], limits=Limits(), etc_dir="/e",
                      gpu=1, exists=lambda p: p in present or os.path.exists(p))  # fmt: skip
    binds = [tuple(argv[i + 1 : i + 3]) for i, a in enumerate(argv) if a == "--dev-bind"]
    assert binds == [
        ("/dev/nvidia1", "/dev/nvidia1"),
        ("/dev/nvidiactl", "/dev/nvidiactl"),
        ("/dev/nvidia-uvm", "/dev/nvidia-uvm"),
        ("/dev/nvidia-uvm-tools", "/dev/nvidia-uvm-tools"),
    ]
    assert base_env({}, channel=False, gpu=1)["CUDA_VISIBLE_DEVICES"] == "0"
    assert "--dev-bind" not in build_argv(["python"], bwrap="bwrap", workdir="/w", readonly=[], limits=Limits(),
                                          etc_dir="/e")  # fmt: skip
    limited = {res for res, _, _ in rlimits(Limits(), gpu=1)}
    import resource

    assert resource.RLIMIT_AS not in limited
    assert resource.RLIMIT_AS in {res for res, _, _ in rlimits(Limits(), gpu=None)}


def test_it_refuses_a_gpu_this_host_does_not_have(workdir) -> None:
    if os.path.exists("/dev/nvidia7"):
        pytest.fail("this test assumes a host without an eighth GPU")
    with pytest.raises(ValueError, match="nvidia7"):
        run(["/bin/true"], workdir=str(workdir), gpu=7, limits=SMALL)


def test_it_refuses_to_run_without_bubblewrap_and_says_what_is_missing(make_dir) -> None:
    workdir = make_dir()
    env = {**os.environ, "COURSESITE_BWRAP": "/nonexistent/bwrap"}
    env.pop("COURSESITE_SANDBOX_INSECURE_I_KNOW", None)
    argv = [sys.executable, "-m", "workers.sandbox"]

    check = subprocess.run([*argv, "check"], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    run = subprocess.run(
        [*argv, "run", "--json", "--workdir", str(workdir), "--", "/bin/true"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )  # fmt: skip

    assert check.returncode != 0
    assert '"ok": false' in check.stdout
    assert run.returncode != 0
    assert "sandbox unavailable: minimum sandbox isolation missing: bubblewrap (apt install bubblewrap)" in run.stderr
    assert run.stdout == ""  # nothing ran


def test_the_loudly_named_insecure_setting_runs_anyway_with_a_warning(make_dir) -> None:
    workdir = make_dir()
    env = {**os.environ, "COURSESITE_BWRAP": "/nonexistent/bwrap", "COURSESITE_SANDBOX_INSECURE_I_KNOW": "1"}

    run = subprocess.run(
        [sys.executable, "-m", "workers.sandbox", "run", "--json", "--workdir", str(workdir), "--", "/bin/echo", "hi"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=60,
    )  # fmt: skip

    assert "WARNING: COURSESITE_SANDBOX_INSECURE_I_KNOW=1: running student code WITHOUT a sandbox" in run.stderr
    assert json.loads(run.stdout)["stdout"] == "hi\n"


FDS = """
import os
print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
"""


def test_only_the_channel_reaches_the_job_while_other_threads_open_and_close_files(workdir) -> None:
    # The judge launches its first student process from a thread while its main thread imports (opens and
    # closes files): the job must get fds 0-2 and its channel, whatever the parent's fd table looks like.
    (workdir / "fds.py").write_text(FDS)
    stray = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(stray, True)  # an inheritable fd of the worker's must not leak in
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            fds = [os.open(os.devnull, os.O_RDONLY) for _ in range(8)]
            for fd in fds:
                os.close(fd)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        seen = []
        for _ in range(12):
            job = spawn([PYTHON, "fds.py"], workdir=str(workdir), readonly=[RUNTIME_BIND], limits=SMALL)
            out = job.wait()
            for channel in (job.channel_in, job.channel_out, job.channel_socket):
                assert channel is not None
                channel.close()
            assert out.status == "ok", out.stderr
            seen.append(out.stdout.strip())
    finally:
        stop.set()
        churner.join()
        os.close(stray)
    # 0-2, the channel (3, 4), the socket (7), and the one /proc/self/fd was listed through.
    assert set(seen) == {"[0, 1, 2, 3, 4, 5, 7]"}, seen


def test_the_command_line_sets_the_work_folders_caps(workdir) -> None:
    fill = "for i in $(seq 20); do true > /work/f$i || break; done; ls /work | wc -l"
    res = subprocess.run(
        [sys.executable, "-m", "workers.sandbox", "run", "--json", "--work", "1", "--work-files", "10",
         "--workdir", str(workdir), "--", "/bin/sh", "-c", fill],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    doc = json.loads(res.stdout)
    assert doc["isolation"]["work"] == {"tmpfs_mb": 1, "files": 10}
    assert "No space left on device" in doc["stderr"]
    assert doc["stdout"].strip() == "10"  # room for 10 beside what it was given (an empty folder)


def test_a_job_runs_below_the_web_servers_cpu_priority(workdir) -> None:
    """Grading yields the cores to pages: the job's niceness is the Limits' (10 by default), never below 0."""
    out = run([PYTHON, "-c", "import os; print(os.nice(0))"], workdir=str(workdir), readonly=[RUNTIME_BIND],
              limits=SMALL)  # fmt: skip
    assert out.status == "ok", out.stderr
    assert out.stdout.strip() == str(os.nice(0) + 10) == str(out.isolation["nice"] + os.nice(0))
    flat = run([PYTHON, "-c", "import os; print(os.nice(0))"], workdir=str(workdir), readonly=[RUNTIME_BIND],
               limits=Limits(nice=0))  # fmt: skip
    assert flat.stdout.strip() == str(os.nice(0))


# A process that leaves its session for one of its own (what would give it an autogroup of its own, where its
# nice no longer counts against the web server's), then says it is ready and waits for its channel to close.
ESCAPE = """
import os
if os.fork() == 0:
    os.setsid()
    os.write(4, b"ready\\n")
    os.read(3, 1)
    os._exit(0)
os.wait()
"""


def test_a_jobs_processes_stay_in_the_weighted_cpu_cgroup_even_in_a_session_of_their_own(workdir) -> None:
    """The jobs' parent cgroup weighs all of them together as one process at the jobs' nice; a job's processes,
    one that called setsid() too, are in its cgroup of the cpu controller, where no autogroup applies."""
    lay, why = cgroups.layout()
    assert lay is not None and lay.weighted, why
    parent = lay.parents["cpu"] if lay.version == "v1" else lay.parents["unified"]
    if lay.version == "v1":
        assert int((Path(parent) / "cpu.shares").read_text()) == cgroups.v1_shares(10) < 1024 // 8
    else:
        assert int((Path(parent) / "cpu.weight.nice").read_text()) == 10
    (workdir / "escape.py").write_text(ESCAPE)
    job = spawn([PYTHON, "escape.py"], workdir=str(workdir), readonly=[RUNTIME_BIND], limits=SMALL)
    assert job.channel_in is not None and job.channel_out is not None
    try:
        assert job.channel_out.readline() == b"ready\n"
        procs = Path(parent).glob(f"job-*-{os.getpid()}-*/cgroup.procs")
        members = [int(pid) for path in procs for pid in path.read_text().split()]
        sessions = set()
        for pid in members:
            with open(f"/proc/{pid}/stat") as handle:
                sessions.add(int(handle.read().rsplit(")", 1)[1].split()[3]))  # its session id
        assert len(members) >= 3 and len(sessions) >= 2  # bwrap and its reaper, the script, the escaped child
    finally:
        job.channel_in.close()
    out = job.wait()
    job.channel_out.close()
    assert out.status == "ok", out.stderr
    assert out.isolation["cpu_weighted"] is True
