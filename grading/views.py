"""Grading pages: the staff gradebook, a student's breakdown and history, settings, finalising, exports."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from coursesite.errors import NotFound, Refused, flash, messages_of
from coursesite.models import Course, User
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, canvas, exports, services
from .forms import FinalGradeChangeForm, GradingSettingsForm
from .models import CanvasColumn, RecordsExport
from .policy import FAILED, GRADED, GRADES, PENDING
from .records import records_file
from .selectors import GradebookRow, filter_rows, gradebook, grading_settings, student_breakdown

CANVAS_EXPORT_MAX_BYTES = 10 * 1024 * 1024

STATUS_FILTERS = [
    (GRADED, "Final grade"),
    (PENDING, "Waiting for results"),
    (FAILED, "Failed"),
    ("changed", "Locked grade differs"),
    ("withdrawn", "Withdrawn"),
    ("inputs", "Results changed since locking"),
]


@login_required
def grades_home(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    if membership.is_student:
        return _own_grade(request, course)
    access.require_gradebook(user=request.user, course=course)
    book = gradebook(course=course)
    status, grade, q = (request.GET.get(key, "") for key in ("status", "grade", "q"))
    rows = filter_rows(book.rows, status=status, grade=grade, q=q)
    settings_form = GradingSettingsForm(instance=book.settings) if membership.is_instructor else None
    return render(
        request,
        "grading/gradebook.html",
        {
            "book": book,
            "rows": rows,
            "filters": {"status": status, "grade": grade, "q": q},
            "status_filters": STATUS_FILTERS,
            "grades": GRADES,
            "settings_form": settings_form,
            "counts": _counts(book.rows),
            "inputs_changed": sum(1 for r in book.rows if r.inputs_changed),
        },
    )


def _counts(rows) -> dict[str, int]:  # type: ignore[no-untyped-def]
    active = [r for r in rows if not r.withdrawn]
    counts = {s: sum(1 for r in active if r.status == s) for s in (GRADED, PENDING, FAILED)}
    return counts | {"active": len(active), "withdrawn": len(rows) - len(active)}


def _own_grade(request: AuthedHttpRequest, course: Course) -> HttpResponse:
    access.require_own_grades(user=request.user, course=course)
    row = student_breakdown(course=course, student=request.user)
    return render(request, "grading/own.html", {"row": row, "settings": grading_settings(course=course)})


@login_required
def student_grade(request: AuthedHttpRequest, code: str, username: str) -> HttpResponse:
    course, membership = course_page(request, code)
    access.require_gradebook(user=request.user, course=course)
    student = get_object_or_404(User, username=username)
    row = student_breakdown(course=course, student=student)
    if row is None:
        raise NotFound("No such student in this course.")
    form = None
    if membership.is_instructor and row.locked is not None:
        form = FinalGradeChangeForm(initial={"grade": row.outcome.grade or ""})
    return _student_page(request, course, row, form)


def _student_page(
    request: AuthedHttpRequest,
    course: Course,
    row: GradebookRow,
    form: FinalGradeChangeForm | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "grading/student.html",
        {
            "row": row,
            "form": form,
            "staff": True,
            "settings": grading_settings(course=course),
        },
        status=status,
    )


@login_required
@require_POST
def final_grade_change(request: AuthedHttpRequest, code: str, username: str) -> HttpResponse:
    course, _ = course_page(request, code)
    access.require_gradebook(user=request.user, course=course)  # to read the grade; the service checks the change
    student = get_object_or_404(User, username=username)
    row = student_breakdown(course=course, student=student)
    if row is None or row.locked is None:
        raise NotFound("This student has no locked final grade.")
    form = FinalGradeChangeForm(request.POST)
    if form.is_valid():
        try:
            services.final_grade_change(
                final_grade=row.locked,
                grade=form.cleaned_data["grade"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(
                request, f"The final grade of {student.display_name} was changed; the reason is in the history."
            )
            return redirect("grading:student", code, username)
    return _student_page(request, course, row, form, status=400)


@login_required
@require_POST
def settings_update(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, _ = course_page(request, code)
    form = GradingSettingsForm(request.POST, instance=grading_settings(course=course))
    if form.is_valid():
        services.grading_settings_update(course=course, by=request.user, **form.cleaned_data)
        messages.success(request, "Grading settings saved; the gradebook shows the grades they give.")
    else:
        problems = "; ".join(
            f"{form.fields[f].label if f in form.fields else ''}: {' '.join(str(m) for m in e)}"
            for f, e in form.errors.items()
        )
        messages.error(request, f"Nothing was saved. {problems}")
    return redirect("grading:home", code)


@login_required
@require_POST
def finalise(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, _ = course_page(request, code)
    locked = services.grades_finalise(course=course, by=request.user)
    messages.success(request, f"Final grades locked for {locked} student{'' if locked == 1 else 's'}.")
    return redirect("grading:home", code)


@login_required
def export_download(request: AuthedHttpRequest, code: str, fmt: str) -> HttpResponse:
    course, _ = course_page(request, code)
    access.require_gradebook(user=request.user, course=course)
    if fmt not in exports.FORMATS:
        raise NotFound("No such export.")
    if fmt in exports.PERSONAL_FORMATS:
        access.require_records_export(user=request.user, course=course)
    if fmt == "ladok":
        only_new = request.GET.get("only") == "new"
        _, filename, text = services.records_export_make(course=course, by=request.user, only_new=only_new)
    else:
        text = exports.export(gradebook(course=course), fmt)
        filename = f"{course.code}-grades-{fmt}.{exports.EXTENSIONS[fmt]}"
    response = HttpResponse(text, content_type=f"{exports.CONTENT_TYPES[fmt]}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def records_page(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """What the student records file holds now: each row new, changed or already reported; errors to fix."""
    course, _ = course_page(request, code)
    access.require_records_export(user=request.user, course=course)
    book = gradebook(course=course)
    records = records_file(book)
    context = {
        "book": book,
        "records": records,
        "counts": records.counts(),
        "provisional": records.provisional(records.rows),
        "exports": RecordsExport.objects.filter(course=course).select_related("made_by")[:10],
    }
    return render(request, "grading/records.html", context)


@login_required
def canvas_page(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """The Canvas file: the examiner's mapping of items to Canvas columns, Canvas's roster, the rows left out."""
    course, membership = course_page(request, code)
    access.require_gradebook(user=request.user, course=course)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "roster":
                upload = request.FILES.get("canvas_export")
                if upload is None:
                    raise Refused("Choose the CSV file of Canvas's gradebook export (Grades > Export).")
                if (upload.size or 0) > CANVAS_EXPORT_MAX_BYTES:
                    raise Refused("That file is over 10 MB; Canvas's gradebook export of a course is far smaller.")
                roster = services.canvas_roster_import(course=course, by=request.user, data=upload.read())
                left = f"; not students here: {', '.join(roster.unmatched)}" if roster.unmatched else ""
                messages.success(request, f"Canvas knows {len(roster.matched)} of the students{left}.")
            else:
                items = canvas.canvas_items(gradebook(course=course, students=[]))
                columns = {item.key: _canvas_column(request, item) for item in items}
                services.canvas_columns_set(course=course, by=request.user, columns=columns)
                messages.success(request, "Canvas columns saved.")
            return redirect("grading:canvas", code)
        except ValidationError as error:
            flash(request, error)
            status = 400
    book = gradebook(course=course)
    made = canvas.canvas_file(book)
    context = {
        "book": book,
        "made": made,
        "kinds": {key: [(k, CanvasColumn.Kind(k).label) for k in kinds] for key, kinds in canvas.KINDS.items()},
        "editable": membership.is_instructor,
    }
    return render(request, "grading/canvas.html", context, status=status)


def _canvas_column(request: AuthedHttpRequest, item: canvas.Item) -> tuple[str, str, Decimal | None]:
    name = request.POST.get(f"name_{item.key}", "").strip()
    kind = request.POST.get(f"kind_{item.key}", item.kind)
    text = request.POST.get(f"points_{item.key}", "").strip().replace(",", ".")
    try:
        possible = Decimal(text) if text else None
    except InvalidOperation as exc:
        raise Refused(f"{item.label}: {text!r} is not a number of points.") from exc
    if possible is not None and not (0 < possible < 100000):
        raise Refused(f"{item.label}: the points possible must be above 0.")
    return name, kind, possible


@login_required
def relock_review(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """Finalised grades whose results changed since locking: review them and re-lock with one action."""
    course, _ = course_page(request, code)
    access.require_grade_admin(user=request.user, course=course)
    status = 200
    error = ""
    if request.method == "POST":
        chosen = [int(pk) for pk in request.POST.getlist("student") if pk.isdigit()]
        if not chosen:
            error = "Choose at least one grade to re-lock."
        else:
            try:
                count = services.grades_relock(
                    course=course, by=request.user, reason=request.POST.get("reason", ""), students=chosen
                )
            except ValidationError as problem:
                error = " ".join(messages_of(problem))
            else:
                messages.success(request, f"Re-locked {count} final grade{'' if count == 1 else 's'}.")
                return redirect("grading:review", code)
        status = 400
    rows = [row for row in gradebook(course=course).rows if row.inputs_changed]
    return render(
        request,
        "grading/review.html",
        {"rows": rows, "error": error, "reason": request.POST.get("reason", "")},
        status=status,
    )
