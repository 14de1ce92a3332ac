"""Template filters of the gradebook: one assignment's cell (a filter, not an include: the page has 4,000 of them)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from coursesite.results import AssignmentResult

register = template.Library()


@register.filter
def assignment_cell(result: AssignmentResult | None, number: int) -> SafeString:
    if result is not None and result.passed:
        bonus = f" +{result.bonus}" if result.bonus else ""
        return format_html('<td><span class="badge ok" title="Assignment {} passed">pass</span>{}</td>', number, bonus)
    if result is not None and result.passed is False:
        return format_html('<td><span class="badge bad" title="Assignment {} not passed">fail</span></td>', number)
    return format_html('<td><span class="muted" title="Assignment {} not reviewed yet">–</span></td>', number)
