"""Extension points through which each app adds to the course pages, calendar and demo course.

Each app registers its providers in its AppConfig.ready(), so the core never imports the apps.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Course, Membership, User


@dataclass(frozen=True)
class CalendarEvent:
    """A moment (a deadline: no end), a timed event (start and end), or, with `all_day`, whole days: then `starts_at`
    is midnight of the first day and `ends_at` midnight after the last (exclusive, as iCal's DTEND)."""

    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    kind: str = "date"
    url: str = ""
    description: str = ""
    uid: str = ""
    all_day: bool = False


@dataclass(frozen=True)
class DashboardItem:
    title: str
    detail: str = ""
    url: str = ""
    when: dt.datetime | None = None
    section: str = "todo"  # "todo" (due next / your work), "released", "info"


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    order: int = 50


# provider(course, membership or None) -> events; None means "the whole course" (staff views).
CalendarProvider = Callable[["Course", "Membership | None"], Iterable[CalendarEvent]]
DashboardProvider = Callable[["Membership"], Iterable[DashboardItem]]
NavProvider = Callable[["Membership"], Iterable[NavLink]]
DemoExtender = Callable[[Any], None]
# panel(request, obj) -> HTML (already escaped) shown on another app's page; see Registry.panels.
Panel = Callable[[Any, Any], str]
# handler(course, user) -> how many things it undid (e.g. upcoming bookings cancelled) when a student withdraws.
WithdrawalHandler = Callable[["Course", "User"], int]


@dataclass
class Registry:
    calendar: list[CalendarProvider] = field(default_factory=list)
    dashboard: list[DashboardProvider] = field(default_factory=list)
    nav: list[NavProvider] = field(default_factory=list)
    # (order, extender): run by load_demo_course after the core demo exists, lowest order first.
    demo: list[tuple[int, DemoExtender]] = field(default_factory=list)
    # Panels that one app shows on another's page, by place:
    #   "submission": a student's submission view and the TA's review page (obj: Submission)
    #   "assignment_student": the student's assignment page, above the submit form (obj: Assignment)
    #   "assignment_staff": the instructor's assignment page (obj: Assignment)
    #   "course_settings": the course dates page, for staff (obj: Course)
    #   "review_workspace": the review page's report and code views, replaced when given (obj: Submission)
    #   "review_form": the review page's Pass/Fail form, replaced when given (obj: Submission)
    panels: dict[str, list[Panel]] = field(default_factory=dict)
    # Run inside the transaction that marks a student withdrawn from a course.
    withdrawal: list[WithdrawalHandler] = field(default_factory=list)

    def add_panel(self, place: str, panel: Panel, *, first: bool = False) -> None:
        """`first`: ahead of the panels already there (the rubric's marks before the autograder's card)."""
        panels = self.panels.setdefault(place, [])
        if first:
            panels.insert(0, panel)
        else:
            panels.append(panel)

    def render_panels(self, place: str, request: Any, obj: Any) -> str:
        return "".join(panel(request, obj) for panel in self.panels.get(place, []))


registry = Registry()
