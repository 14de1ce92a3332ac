"""URL routes: the course core, each app's pages and API, auth, admin and the API schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import api, views

api_patterns = [
    path("token/", obtain_auth_token, name="api_token"),
    path("courses/", api.CourseListApi.as_view(), name="api_courses"),
    path("courses/<slug:code>/calendar/", api.CourseCalendarApi.as_view(), name="api_calendar"),
    path("courses/<slug:code>/roster/import/", api.RosterImportApi.as_view(), name="api_roster_import"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("sso/", include("sso.urls")),
    path("", include("lti.urls")),
    path("calendar/rotate/", views.calendar_token_rotate, name="calendar_token_rotate"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
    path("c/<slug:code>/", views.dashboard, name="dashboard"),
    path("c/<slug:code>/calendar/", views.calendar_page, name="calendar"),
    path("c/<slug:code>/roster/", views.roster, name="roster"),
    path("api/", include(api_patterns)),
    # Each app owns its pages under /c/<code>/<app>/ and its API under /api/courses/<code>/<app>/.
    path("", include("assignments.urls")),
    path("", include("projects.urls")),
    path("", include("exams.urls")),
    path("", include("grading.urls")),
    path("", include("workers.urls")),
]
