"""Staff pages of insight: assignment analytics (with CSV and the reminder), similarity checks and pairs."""

import csv
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assignments.models import Assignment
from coursesite.requests import AuthedHttpRequest
from coursesite.spreadsheets import inert
from coursesite.views import course_page

from . import access, charts, selectors, services, similarity
from .models import DEFAULT_THRESHOLD, SimilarityCheck, SimilarityPair


def _staff_assignment(request: AuthedHttpRequest, code: str, number: int) -> Assignment:
    course, _ = course_page(request, code)
    access.require_insight_staff(user=request.user, course=course)
    return get_object_or_404(Assignment.objects.select_related("course"), course=course, number=number)


@login_required
def index(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, _ = course_page(request, code)
    access.require_insight_staff(user=request.user, course=course)
    assignments = Assignment.objects.filter(course=course).order_by("number")
    return render(request, "insight/index.html", {"assignments": assignments, "code": code})


@login_required
def analytics_page(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    data = selectors.assignment_analytics(assignment=assignment)
    a = assignment.number
    figures = {
        "scores": charts.histogram(
            [(b.label, b.count) for b in data.score_bins], title=f"Score distribution, assignment {a}"
        ),
        "pass_rates": charts.pass_rates(
            [(t.name, t.passed, t.ran) for t in data.tests], title=f"Pass rate per test, assignment {a}"
        ),
        "grading": charts.histogram([(b.label, b.count) for b in data.grading_bins], title="Grading time"),
        "queue": charts.histogram([(b.label, b.count) for b in data.queue_bins], title="Queue wait"),
    }
    subject, body = services.reminder_default(assignment=assignment)
    return render(
        request,
        "insight/analytics.html",
        {
            "assignment": assignment,
            "code": code,
            "data": data,
            "figures": figures,
            "timing": data.timing_summary(),
            "subject": subject,
            "body": body,
        },
    )


class _SafeWriter:
    """csv.writer that defuses cells a spreadsheet would run as a formula (student-written messages reach them)."""

    def __init__(self, response: HttpResponse) -> None:
        self.writer = csv.writer(response)

    def writerow(self, row: Iterable[object]) -> None:
        self.writer.writerow([inert(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


CSV_TABLES = ("scores", "tests", "failures", "outcomes", "grading-time", "queue-wait", "not-submitted")


@login_required
def analytics_csv(request: AuthedHttpRequest, code: str, number: int, table: str) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    if table not in CSV_TABLES:
        raise Http404("No such table.")
    data = selectors.assignment_analytics(assignment=assignment)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}-a{number}-{table}.csv"'
    writer = _SafeWriter(response)
    if table == "scores":
        writer.writerow(["score (share of the maximum)", "students"])
        writer.writerows((b.label, b.count) for b in data.score_bins)
    elif table == "tests":
        writer.writerow(["test", "visibility", "points", "ran", "passed", "pass rate"])
        writer.writerows((t.name, t.visibility, t.points, t.ran, t.passed, f"{t.pass_rate:.4f}") for t in data.tests)
    elif table == "failures":
        writer.writerow(["test", "message (numbers, arrays, addresses, paths normalised)", "students", "example"])
        writer.writerows((t.name, f.key, f.count, f.example) for t in data.tests for f in t.failures)
    elif table == "outcomes":
        writer.writerow(["kind", "test results", "students"])
        writer.writerows((label, n, s) for _kind, label, n, s in data.kinds)
    elif table in ("grading-time", "queue-wait"):
        bins = data.grading_bins if table == "grading-time" else data.queue_bins
        writer.writerow([table.replace("-", " "), "jobs"])
        writer.writerows((b.label, b.count) for b in bins)
    else:
        writer.writerow(["username", "name", "email"])
        writer.writerows((r.username, r.name, r.email) for r in data.missing)
    return response


@login_required
@require_POST
def remind(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    """Two steps: the first POST shows whom the e-mail goes to; the second (confirm=yes) sends it."""
    assignment = _staff_assignment(request, code, number)
    subject = request.POST.get("subject", "")
    body = request.POST.get("body", "")
    if request.POST.get("confirm") != "yes":
        recipients = selectors.students_not_submitted(assignment=assignment)
        if not recipients:
            messages.info(request, "Everyone has submitted: there is no one to remind.")
            return redirect("insight:analytics", code, number)
        return render(
            request,
            "insight/remind_confirm.html",
            {"assignment": assignment, "code": code, "recipients": recipients, "subject": subject, "body": body},
        )
    try:
        ids = [int(value) for value in request.POST.getlist("recipient")]
        sent = services.reminder_send(
            assignment=assignment, by=request.user, subject=subject, body=body, confirmed_ids=ids
        )
    except ValueError:
        messages.error(request, "The confirmation was not readable; try again.")
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Reminder sent to {sent} student{'s' if sent != 1 else ''}.")
    return redirect("insight:analytics", code, number)


PAIRS_SHOWN = 500


def _threshold(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return value / 100 if value > 1 else value


@login_required
def similarity_page(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    check = selectors.check_latest(assignment=assignment)
    threshold = _threshold(request.GET.get("threshold"), check.threshold if check else DEFAULT_THRESHOLD)
    ranked = selectors.pairs_ranked(check=check) if check else None
    above = list(ranked.filter(similarity__gte=threshold)[:PAIRS_SHOWN]) if ranked is not None else []
    below = ranked.filter(similarity__lt=threshold).count() if ranked is not None else 0
    return render(
        request,
        "insight/similarity.html",
        {
            "assignment": assignment,
            "code": code,
            "check": check,
            "pairs": above,
            "below": below,
            "threshold": threshold,
            "threshold_percent": round(threshold * 100),
            "running": check is not None
            and check.state in (SimilarityCheck.State.QUEUED, SimilarityCheck.State.RUNNING),
        },
    )


@login_required
@require_POST
def similarity_run(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    try:
        services.similarity_request(
            assignment=assignment,
            by=request.user,
            threshold=_threshold(request.POST.get("threshold"), DEFAULT_THRESHOLD),
            archive=request.FILES.get("archive"),
            base_code=request.FILES.get("base_code"),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "The similarity check is queued; this page shows its result when it has run.")
    return redirect("insight:similarity", code, number)


def _pair(request: AuthedHttpRequest, code: str, pair_id: int) -> SimilarityPair:
    course, _ = course_page(request, code)
    access.require_insight_staff(user=request.user, course=course)
    pair = selectors.pair_detail(pair_id=pair_id)
    if pair is None or pair.check_run.assignment.course_id != course.pk:
        raise Http404("No such pair.")
    return pair


@login_required
def pair_page(request: AuthedHttpRequest, code: str, pair_id: int) -> HttpResponse:
    pair = _pair(request, code, pair_id)
    return render(
        request,
        "insight/pair.html",
        {
            "pair": pair,
            "code": code,
            "assignment": pair.check_run.assignment,
            "left": similarity.highlighted(pair.a.text, pair.slices_a),
            "right": similarity.highlighted(pair.b.text, pair.slices_b),
            "decisions": SimilarityPair.Decision.choices,
        },
    )


@login_required
@require_POST
def pair_decide(request: AuthedHttpRequest, code: str, pair_id: int) -> HttpResponse:
    pair = _pair(request, code, pair_id)
    try:
        services.pair_decide(
            pair=pair, by=request.user, decision=request.POST.get("decision", ""), note=request.POST.get("note", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Decision saved.")
    return redirect("insight:pair", code, pair.pk)
