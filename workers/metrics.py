"""`/metrics` in the Prometheus text format: the autograder's queues, job times, outcomes and worker heartbeats.

Every value is read from the database at scrape time by a custom collector (prometheus-client's metric
families), so it is the same whichever web process answers: nothing is kept in a process. Protected by
COURSESITE_METRICS_TOKEN: unset, the URL does not exist (404); set, a scrape must send `Authorization: Bearer
<token>` (403 otherwise).
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from . import conf
from .models import GradingJob, WorkerHeartbeat

State = GradingJob.State
DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
WAIT_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


def _seconds(value: dt.timedelta | float | None) -> float:
    """A summed duration as the database returns it (a timedelta; microseconds on some backends)."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value or 0) / 1e6


def _histogram(name: str, doc: str, start: str, end: str, buckets: tuple[int, ...]) -> HistogramMetricFamily:
    """One query: per queue, the jobs whose `end - start` falls under each bucket (cumulative), their count and sum."""
    span = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    counts = {f"le_{b}": Count("pk", filter=Q(span__lte=dt.timedelta(seconds=b))) for b in buckets}
    rows = (
        GradingJob.objects.exclude(**{f"{start}__isnull": True})
        .exclude(**{f"{end}__isnull": True})
        .annotate(span=span)
        .order_by()
        .values("queue")
        .annotate(n=Count("pk"), total=Sum("span"), **counts)
    )
    family = HistogramMetricFamily(name, doc, labels=["queue"])
    for row in rows:
        found: dict[str, Any] = dict(row)
        cumulative = [(str(float(b)), found[f"le_{b}"]) for b in buckets] + [("+Inf", found["n"])]
        family.add_metric([found["queue"]], cumulative, sum_value=_seconds(found["total"]))
    return family


class GradingCollector:
    """Computes the families from the database on each scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        depth = GaugeMetricFamily("coursesite_grading_queue_depth", "Jobs waiting, per queue", labels=["queue"])
        oldest = GaugeMetricFamily(
            "coursesite_grading_oldest_wait_seconds", "Age of the oldest waiting job, per queue", labels=["queue"]
        )
        waiting = (
            GradingJob.objects.filter(state__in=GradingJob.WAITING_STATES)
            .order_by()
            .values("queue")
            .annotate(n=Count("pk"), first=Min("received_at"))
        )
        for row in waiting:
            depth.add_metric([row["queue"]], row["n"])
            oldest.add_metric([row["queue"]], (now - row["first"]).total_seconds())
        yield depth
        yield oldest
        yield _histogram(
            "coursesite_grading_job_duration_seconds",
            "Run time of grading jobs (start to end)",
            "running_at",
            "finished_at",
            DURATION_BUCKETS,
        )
        yield _histogram(
            "coursesite_grading_job_wait_seconds",
            "Wait of grading jobs (received to started)",
            "received_at",
            "running_at",
            WAIT_BUCKETS,
        )
        outcomes = CounterMetricFamily(
            "coursesite_grading_jobs", "Grading jobs that ended, by state and outcome", labels=["state", "outcome"]
        )
        for ended in (
            GradingJob.objects.filter(state__in=GradingJob.FINAL_STATES)
            .order_by()
            .values("state", "outcome")
            .annotate(n=Count("pk"))
        ):
            outcomes.add_metric([ended["state"], ended["outcome"] or "none"], ended["n"])
        yield outcomes
        age = GaugeMetricFamily(
            "coursesite_worker_heartbeat_age_seconds",
            "Seconds since each worker last said it is alive, per queue it serves",
            labels=["worker", "queue"],
        )
        alive = GaugeMetricFamily(
            "coursesite_workers_alive", "Worker slots with a fresh heartbeat, per queue", labels=["queue"]
        )
        fresh: dict[str, int] = {}
        for beat in WorkerHeartbeat.objects.order_by("hostname", "queue"):
            seconds = (now - beat.seen_at).total_seconds()
            age.add_metric([beat.hostname, beat.queue], seconds)
            if seconds <= conf.worker_dead_after_s():
                fresh[beat.queue] = fresh.get(beat.queue, 0) + beat.slots
            else:
                fresh.setdefault(beat.queue, 0)
        for queue, slots in sorted(fresh.items()):
            alive.add_metric([queue], slots)
        yield age
        yield alive


def metrics_view(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404("Metrics are off (set COURSESITE_METRICS_TOKEN).")
    sent = request.headers.get("Authorization", "")
    if not constant_time_compare(sent, f"Bearer {token}"):
        return HttpResponseForbidden("A scrape must send Authorization: Bearer <COURSESITE_METRICS_TOKEN>.")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GradingCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
