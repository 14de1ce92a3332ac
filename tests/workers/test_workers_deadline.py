"""At a deadline: newer submissions supersede queued runs, first runs go before re-runs, real workers say they live."""

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue

from tests.support import wait_for
from workers import lanes, services
from workers.models import GradingJob, WorkerHeartbeat

from .workers_support import RIGHT

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_LOAD = (
    b"import time\n\n\ndef LoadScale(path):\n    time.sleep(2)\n    with open(path) as handle:\n"
    b"        return float(handle.read())\n\n\ndef ComputeCost(x):\n    return x * x\n"
)


def _job(submission) -> GradingJob:  # type: ignore[no-untyped-def]
    return GradingJob.objects.get(submission=submission, attempt=1)


def test_a_newer_submission_supersedes_the_queued_run_which_never_runs_but_a_running_run_finishes(
    grading_worker, quick_suite, student, assignment, submit, client_for
) -> None:
    replaced = submit(assignment, student)
    running = submit(assignment, student, code=SLOW_LOAD)
    old, new = _job(replaced), _job(running)
    assert (old.state, old.outcome, old.superseded_by) == ("skipped", "superseded", new)
    assert (new.state, new.queue) == ("queued", "cpu")  # it takes the replaced run's class
    assert services.runs_used_today(assignment=assignment, student=student) == 1
    fragment = client_for(student).get(f"/c/DD2424/workers/jobs/{old.pk}/").content.decode()
    assert "Superseded by a newer submission" in fragment and "data-poll-url" not in fragment

    grading_worker("cpu")
    # A run that a worker already took is not superseded: it finishes, and the newer one is a re-run.
    wait_for(lambda: _job(running).state == "running", timeout=60)
    latest = submit(assignment, student, code=RIGHT)
    assert _job(latest).queue == "cpu-again"
    wait_for(lambda: _job(latest).is_final and _job(running).is_final, timeout=90)
    assert (_job(running).state, _job(running).outcome) == ("finished", "passed")
    assert (_job(latest).state, _job(latest).outcome) == ("finished", "passed")

    old.refresh_from_db()
    assert (old.state, old.tries, old.running_at, old.worker) == ("skipped", 0, None, "")  # never ran
    assert services.runs_used_today(assignment=assignment, student=student) == 2


def test_a_first_run_overtakes_a_queued_re_run_and_staff_reruns_come_last(
    grading_worker, quick_suite, student, examiner, assignment, submit, course
) -> None:
    from tests.support import make_member

    carol = make_member(course, "carol", "student", "Carol Student")
    first = _job(submit(assignment, student))
    # A worker elsewhere has the first run, so the next submission is a re-run.
    assert services.job_claim(job_id=first.pk, dispatch=first.dispatch, worker="elsewhere@host") is not None
    re_run = _job(submit(assignment, student))
    assert re_run.queue == "cpu-again"
    services.grading_rerun_all(assignment=assignment, by=examiner)
    staff = GradingJob.objects.get(trigger="rerun")
    assert staff.queue == "rerun"
    first_run = _job(submit(assignment, carol))  # the last to arrive
    assert first_run.queue == "cpu"

    grading_worker("cpu,rerun")
    everyone = [first_run, re_run, staff]
    wait_for(lambda: all(GradingJob.objects.get(pk=j.pk).is_final for j in everyone), timeout=120)
    ended = [GradingJob.objects.get(pk=j.pk) for j in everyone]
    assert [j.outcome for j in ended] == ["passed"] * 3
    assert ended[0].running_at < ended[1].running_at < ended[2].running_at

    # The worker says it is alive on each queue it serves (`-Q cpu` serves `cpu-again` right after `cpu`).
    beats = WorkerHeartbeat.objects.filter(hostname__startswith="test-")
    assert {beat.queue for beat in beats} == {"cpu", "cpu-again", "rerun"} and {beat.slots for beat in beats} == {1}


def test_the_embedded_broker_serves_a_workers_queues_in_order_as_redis_does(tmp_path) -> None:
    lanes.serve_queues_in_order()
    folder = tmp_path / "broker"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
        "store_processed": False,
    }
    exchange = Exchange("grading", type="direct")
    queues = [Queue(name, exchange, routing_key=name) for name in ("cpu", "cpu-again", "rerun")]
    got: list[str] = []
    with Connection("filesystem://", transport_options=options) as connection:
        producer = Producer(connection.default_channel, exchange=exchange)
        for queue in queues:
            queue(connection.default_channel).declare()
        for name in ("rerun", "rerun", "cpu-again", "cpu", "cpu-again", "cpu"):  # the lowest arrive first
            producer.publish({"queue": name}, routing_key=name)

        def take(body, message):  # type: ignore[no-untyped-def]
            got.append(body["queue"])
            message.ack()

        with Consumer(connection.default_channel, queues=queues, callbacks=[take], prefetch_count=1):
            for _ in range(6):
                connection.drain_events(timeout=5)
    assert got == ["cpu", "cpu", "cpu-again", "cpu-again", "rerun", "rerun"]
    assert lanes.served(["cpu", "rerun"]) == ["cpu", "cpu-again", "rerun"]
    assert lanes.served(["gpu"]) == ["gpu", "gpu-again", "gpu-rerun"]


def test_a_re_run_that_waited_too_long_moves_up_one_queue_so_nothing_starves(
    quick_suite, student, assignment, submit, settings
) -> None:
    submission = submit(assignment, student)
    job = _job(submission)
    services.job_claim(job_id=job.pk, dispatch=job.dispatch, worker="elsewhere@host")
    again = _job(submit(assignment, student))
    assert again.queue == "cpu-again"
    settings.GRADING_PROMOTE_AFTER_S = 0
    result = services.jobs_watchdog()
    again.refresh_from_db()
    assert result["promoted"] == 1 and (again.queue, again.state, again.dispatch) == ("cpu", "queued", 2)


def test_a_job_the_broker_never_got_is_sent_again_after_the_resend_delay_not_the_dead_worker_one(
    quick_suite, student, assignment, submit, settings
) -> None:
    import datetime as dt

    from django.utils import timezone

    settings.GRADING_STALE_AFTER_S = 600  # a dead worker's job: ten minutes
    settings.GRADING_RESEND_AFTER_S = 10  # a job the broker was down for: ten seconds
    job = _job(submit(assignment, student))
    # As _send leaves it when the broker refuses the message: received, not queued.
    GradingJob.objects.filter(pk=job.pk).update(state="received", queued_at=None)
    now = timezone.now()
    GradingJob.objects.filter(pk=job.pk).update(received_at=now - dt.timedelta(seconds=5))
    assert services.jobs_watchdog()["resent"] == 0
    assert GradingJob.objects.get(pk=job.pk).state == "received"
    GradingJob.objects.filter(pk=job.pk).update(received_at=now - dt.timedelta(seconds=11))
    assert services.jobs_watchdog()["resent"] == 1
    job.refresh_from_db()
    assert (job.state, job.dispatch) == ("queued", 2)
