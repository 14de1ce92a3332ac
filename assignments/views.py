"""Assignment pages."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from coursesite.views import course_page

from .selectors import assignments_visible


@login_required
def assignment_list(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    assignments = assignments_visible(course=course, membership=membership)
    return render(request, "assignments/list.html", {"assignments": assignments, "now": timezone.now()})


@login_required
def assignment_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    course, membership = course_page(request, code)
    assignment = assignments_visible(course=course, membership=membership).filter(number=number).first()
    if assignment is None:
        raise Http404("No such assignment.")
    return render(request, "assignments/detail.html", {"assignment": assignment, "now": timezone.now()})
