"""The course's time zone for every course page and API: `CourseTimezoneMiddleware`.

Every `/c/<code>/...` page and `/api/courses/<code>/...` API answers with the course's zone active (Django's
current time zone), so templates, forms and DRF's DateTimeField show and read moments in it without a view doing
anything. Views and templates do not localise times themselves. Work that runs outside the request (e-mails, tasks,
a streamed CSV whose rows are made after the middleware returned) keeps its explicit `course.tz`.

The zone is read from the database only when a moment is first shown or read (a page without times, or a 304,
costs no query), at most once per request.
"""

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

COURSE_PATH = re.compile(r"^/(?:c|api/courses)/(?P<code>[-a-zA-Z0-9_]+)/")


class CourseZone(dt.tzinfo):
    """The time zone of the course with this code, read on first use; a course that does not exist has the
    server's zone (its page is a 404 anyway). Behaves as the course's ZoneInfo, and pickles as one."""

    def __init__(self, code: str) -> None:
        self.code = code

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        from .models import Course

        name = Course.objects.filter(code=self.code).values_list("timezone", flat=True).first()
        try:
            return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    @property
    def key(self) -> str:
        return self.zone.key

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return self.zone.utcoffset(moment)

    def dst(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return self.zone.dst(moment)

    def tzname(self, moment: dt.datetime | None) -> str | None:
        return self.zone.tzname(moment)

    def fromutc(self, moment: dt.datetime) -> dt.datetime:
        return self.zone.fromutc(moment.replace(tzinfo=self.zone)).replace(tzinfo=self)

    def __str__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"CourseZone({self.code!r})"

    def __reduce__(self) -> tuple[type[zoneinfo.ZoneInfo], tuple[str]]:
        return (zoneinfo.ZoneInfo, (self.key,))


def course_code_of(path: str) -> str | None:
    """The course code of a course page or API path, else None."""
    match = COURSE_PATH.match(path)
    return match["code"] if match else None


class CourseTimezoneMiddleware:
    """Activates the course's zone while a course page or API answers; other paths get the server's zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        code = course_code_of(request.path_info)
        with timezone.override(CourseZone(code) if code is not None else None):
            return self.get_response(request)
