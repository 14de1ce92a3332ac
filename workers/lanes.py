"""The autograder's queues in priority order (first runs, students' re-runs, staff reruns), and how workers serve them.

Plain Python (no models): the Celery app imports it before Django is set up.

Each kind of hardware has three queues, served strictly in this order by a worker that serves the first:
first runs (`cpu`, `gpu`), a student's re-runs while an earlier run of theirs is still being graded (`cpu-again`,
`gpu-again`), and staff reruns of everyone (`rerun`, `gpu-rerun`). Messages also carry a matching priority, which
the Redis transport honours before the queue order. The watchdog moves a job that waited longer than
GRADING_PROMOTE_AFTER_S up one queue (see lifecycle.jobs_promote_aged), so nothing starves.
"""

from collections.abc import Iterable

CPU, CPU_AGAIN, RERUN = "cpu", "cpu-again", "rerun"
GPU, GPU_AGAIN, GPU_RERUN = "gpu", "gpu-again", "gpu-rerun"
FIRST, AGAIN, STAFF = 0, 1, 2  # the classes, highest first

# hardware -> its queues, highest class first
LANES: dict[str, tuple[str, str, str]] = {CPU: (CPU, CPU_AGAIN, RERUN), GPU: (GPU, GPU_AGAIN, GPU_RERUN)}
PRIORITY = {FIRST: 0, AGAIN: 3, STAFF: 9}  # message priorities (Redis: 0 is served first; priority_steps 0,3,6,9)


# What each queue is, in words for people (students and staff read these, not the queue names).
WORDS = {
    CPU: "first runs",
    CPU_AGAIN: "re-runs",
    RERUN: "staff reruns",
    GPU: "GPU first runs",
    GPU_AGAIN: "GPU re-runs",
    GPU_RERUN: "GPU staff reruns",
}


def words(queue: str) -> str:
    return WORDS.get(queue, queue)


def hardware_of(queue: str) -> str:
    return GPU if queue in LANES[GPU] else CPU


def class_of(queue: str) -> int:
    return LANES[hardware_of(queue)].index(queue)


def queue_for(hardware: str, klass: int) -> str:
    return LANES[hardware][klass]


def ahead_of(queue: str) -> tuple[str, ...]:
    """The queues whose waiting jobs a worker takes before this queue's (this one's included)."""
    lanes = LANES[hardware_of(queue)]
    return lanes[: lanes.index(queue) + 1]


def served(queues: Iterable[str]) -> list[str]:
    """A worker's queues with each first-run queue's re-run queue right after it (`-Q cpu` serves `cpu-again`,
    `-Q gpu` serves `gpu-again` and `gpu-rerun`: GPU reruns were on `gpu` before they had a queue of their own)."""
    names = list(queues)
    out: list[str] = []
    for name in names:
        if name in out:
            continue
        out.append(name)
        if name == CPU and CPU_AGAIN not in names:
            out.append(CPU_AGAIN)
        if name == GPU:
            out.extend(q for q in (GPU_AGAIN, GPU_RERUN) if q not in names)
    return out


def serve_queues_in_order() -> None:
    """Make kombu's virtual transports (filesystem://, sqla+..., memory://) serve a consumer's queues in the order
    given, as the Redis transport does with queue_order_strategy=priority, instead of round-robin.

    Kombu's virtual channel takes its next message through a FairCycle over the consumed queues; starting that
    cycle at the first queue on every take makes the order strict. Transports with a cycle of their own (SQS,
    pgmq) and Redis (which blocks on BRPOP in queue order) are not touched.
    """
    from queue import Empty

    from kombu.transport.virtual import base
    from kombu.utils.scheduling import FairCycle

    if getattr(base.Channel, "_coursesite_in_order", False):
        return

    class InOrderCycle(FairCycle):
        def get(self, callback, **kwargs):  # type: ignore[no-untyped-def]
            self.pos = 0
            return super().get(callback, **kwargs)

    def _reset_cycle(self) -> None:  # type: ignore[no-untyped-def]
        self._cycle = InOrderCycle(self._get_and_deliver, self._active_queues, Empty)

    base.Channel._reset_cycle = _reset_cycle  # type: ignore[method-assign]
    base.Channel._coursesite_in_order = True  # type: ignore[attr-defined]
