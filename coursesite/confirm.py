"""A confirmation step for actions that are hard to undo: works without JavaScript (a page that re-posts the form)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") == "yes"


def confirm_page(
    request: HttpRequest, *, question: str, detail: str = "", confirm_label: str, back_url: str, back_label: str = ""
) -> HttpResponse:
    """Ask first: the same form's fields are posted again to the same address with confirmed=yes."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in ("csrfmiddlewaretoken", "confirmed")
        for value in request.POST.getlist(name)
    ]
    context = {
        "question": question,
        "detail": detail,
        "confirm_label": confirm_label,
        "back_url": back_url,
        "back_label": back_label or "No, go back",
        "fields": fields,
        "action": request.get_full_path(),
    }
    return render(request, "coursesite/confirm.html", context)
