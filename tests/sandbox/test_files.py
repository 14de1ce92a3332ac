"""The sandbox sees only its work dir, the runtime and what is bound read-only; never secrets."""

from __future__ import annotations

import os
from pathlib import Path

SECRET = "s3cr3t-token-that-must-not-leak"


def root_only_file(directory: Path) -> Path:
    secret = directory / "secret.txt"
    secret.write_text(SECRET)
    os.chmod(secret, 0o600)
    return secret


def test_it_refuses_to_read_a_root_only_file_even_when_bound_in(run_python, make_dir) -> None:
    shared = make_dir()
    secret = root_only_file(shared)
    out = run_python(
        f"""
        for path in ({str(secret)!r}, "/etc/shadow", "/root/.bashrc"):
            try:
                print("READ", open(path).read())
            except OSError as exc:
                print("blocked", type(exc).__name__)
        """,
        readonly=(str(shared),),
    )
    assert out.status == "ok", out.stderr
    assert SECRET not in out.stdout
    assert out.stdout.split() == ["blocked", "PermissionError", "blocked", "FileNotFoundError"] + [
        "blocked",
        "FileNotFoundError",
    ]


def test_it_cannot_see_another_jobs_directory_or_the_host_tmp(run_python, make_dir) -> None:
    other = make_dir()
    (other / "solution.py").write_text(SECRET)
    out = run_python(f"""
        import os
        try:
            print("READ", open({str(other / "solution.py")!r}).read())
        except OSError as exc:
            print("blocked", type(exc).__name__)
        print("tmp:", os.listdir("/tmp"), "opt:", os.listdir("/opt"), "root:", sorted(os.listdir("/")))
    """)
    assert out.status == "ok", out.stderr
    assert SECRET not in out.stdout
    assert "blocked FileNotFoundError" in out.stdout
    assert "tmp: []" in out.stdout
    assert "opt: ['runtime']" in out.stdout  # only the grading runtime, bound there read-only
    for hidden in ("'root'", "'home'", "'var'", "'run'"):
        assert hidden not in out.stdout


def test_it_hides_the_workers_environment_and_pid_1s(run_python, monkeypatch) -> None:
    monkeypatch.setenv("COURSESITE_TEST_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"postgres://u:{SECRET}@127.0.0.1/db")
    out = run_python("""
        import os
        print(sorted(os.environ))
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                for name in ("environ", "cmdline"):
                    try:
                        print(pid, name, open(f"/proc/{pid}/{name}", "rb").read())
                    except OSError as exc:
                        print(pid, name, "blocked", type(exc).__name__)
    """)
    assert out.status == "ok", out.stderr
    assert SECRET not in out.stdout
    assert "COURSESITE_TEST_SECRET" not in out.stdout
    assert "1 environ" in out.stdout  # it did look at pid 1


def test_it_cannot_write_outside_the_work_dir(run_python, workdir) -> None:
    escape = workdir.parent / f"{workdir.name}-escape"
    out = run_python(f"""
        import os
        for path in ("/usr/pwned", "/etc/pwned", "/pwned", "/work/../pwned", "/work/main/.runtime/pwned",
                     "/proc/sys/kernel/hostname", "/sys/fs/cgroup/pwned", "/dev/pwned"):
            try:
                with open(path, "w") as f:
                    f.write("x")
                print("WROTE", path)
            except OSError as exc:
                print("blocked", type(exc).__name__)
        open("/work/fine.txt", "w").write("ok")
        print("work:", open("/work/fine.txt").read())
        open({str(escape)!r}, "w").write("ok")   # lands in the sandbox's own /tmp
    """)
    assert out.status == "ok", out.stderr
    assert "WROTE" not in out.stdout
    assert out.stdout.count("blocked") == 8
    assert not escape.exists()  # the host's /tmp was never reachable
    assert not Path("/pwned").exists()
    assert "work: ok" in out.stdout
    assert not (workdir / "fine.txt").exists()  # /work is the job's own copy: nothing reaches the host


def test_it_does_not_follow_symlinks_in_the_work_dir_out_of_the_sandbox(run_python, workdir, make_dir) -> None:
    outside = make_dir()
    secret = root_only_file(outside)
    os.chmod(secret, 0o644)  # readable on the host by anyone: only the mount table protects it
    (workdir / "shadow").symlink_to("/etc/shadow")
    (workdir / "secret").symlink_to(secret)
    (workdir / "up").symlink_to(outside)
    out = run_python("""
        for path in ("shadow", "secret", "up/secret.txt"):
            try:
                print("READ", open(path).read())
            except OSError as exc:
                print("blocked", type(exc).__name__)
    """)
    assert out.status == "ok", out.stderr
    assert SECRET not in out.stdout
    assert out.stdout.count("blocked FileNotFoundError") == 3
    # The worker chowned the work dir to the slot uid without following the links.
    assert os.stat("/etc/shadow").st_uid == 0
    assert os.stat(secret).st_uid == 0
    assert os.stat(outside).st_uid == 0


def test_it_does_not_chown_a_hard_linked_file_that_also_lives_outside(run_python, workdir, make_dir) -> None:
    outside = make_dir()
    secret = root_only_file(outside)
    os.link(secret, workdir / "linked.txt")
    out = run_python("""
        try:
            print("READ", open("linked.txt").read())
        except OSError as exc:
            print("blocked", type(exc).__name__)
    """)
    assert out.status == "ok", out.stderr
    assert SECRET not in out.stdout
    assert os.stat(secret).st_uid == 0
    assert oct(os.stat(secret).st_mode & 0o777) == "0o600"
