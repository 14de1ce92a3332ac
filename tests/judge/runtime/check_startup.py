"""The judge's start-up of the student's first process (needs numpy: runs in the grading runtime)."""

import threading
from pathlib import Path

from workers.judge import judge
from workers.judge.session import InfrastructureError, StudentSession
from workers.judge.suite import load_suite

SUITE = Path(__file__).resolve().parents[3] / "workers" / "suites" / "dd2424" / "a1"


def test_a_launch_that_fails_is_an_infrastructure_error_for_every_test(tmp_path, monkeypatch):
    launched_on = []

    def launch(self):
        launched_on.append(threading.current_thread().name)
        raise InfrastructureError("sandbox unavailable: no user namespaces")

    monkeypatch.setattr(StudentSession, "launch", launch)
    (tmp_path / "assignment1.py").write_text("def LoadBatch(f):\n    pass\n")
    startup = judge.Startup(load_suite(SUITE), tmp_path, tmp_path / "assignment1.py", gpu=None)
    problem = startup.finish()
    assert launched_on == ["student-launch"]  # off the main thread, which goes on importing pytest meanwhile
    # The student reads a plain sentence; the details are staff's (the summary's "infrastructure").
    assert problem.reason == "infrastructure error" and str(problem) == judge.STUDENT_INFRASTRUCTURE
    assert startup.infrastructure == "sandbox unavailable: no user namespaces"
    startup.release()
    assert not [thread for thread in threading.enumerate() if thread.name == "student-launch" and thread.is_alive()]
