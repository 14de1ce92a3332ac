"""URL routes: the course core, each app's pages and API, auth, admin and the API schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api

from . import api, audit_views, invitations, views

api_patterns = [
    path("token/", accounts_api.ObtainTokenApi.as_view(), name="api_token"),
    path("tokens/", accounts_api.TokenListApi.as_view(), name="api_token_list"),
    path("tokens/<int:pk>/", accounts_api.TokenDetailApi.as_view(), name="api_token_detail"),
    path("courses/", api.CourseListApi.as_view(), name="api_courses"),
    path("courses/<slug:code>/calendar/", api.CourseCalendarApi.as_view(), name="api_calendar"),
    path("courses/<slug:code>/roster/import/", api.RosterImportApi.as_view(), name="api_roster_import"),
    path("courses/<slug:code>/audit/", audit_views.AuditApi.as_view(), name="api_audit"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    # Before Django's own: the reset also reaches roster accounts, and links use SITE_URL.
    path("accounts/password_reset/", invitations.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/invitation/<uidb64>/<token>/", invitations.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("sso/", include("sso.urls")),
    path("", include("lti.urls")),
    path("calendar/rotate/", views.calendar_token_rotate, name="calendar_token_rotate"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
    path("c/<slug:code>/", views.dashboard, name="dashboard"),
    path("c/<slug:code>/calendar/", views.calendar_page, name="calendar"),
    path("c/<slug:code>/settings/", views.course_settings, name="course_settings"),
    path("c/<slug:code>/roster/", views.roster, name="roster"),
    path("c/<slug:code>/roster/invite/", views.roster_invite, name="roster_invite"),
    path("c/<slug:code>/roster/<int:member_id>/status/", views.roster_status, name="roster_status"),
    path("c/<slug:code>/audit/", audit_views.audit_page, name="audit"),
    path("api/", include(api_patterns)),
    # Each app owns its pages under /c/<code>/<app>/ and its API under /api/courses/<code>/<app>/.
    path("", include("assignments.urls")),
    path("", include("projects.urls")),
    path("", include("exams.urls")),
    path("", include("grading.urls")),
    path("", include("workers.urls")),
    path("", include("insight.urls")),
    path("", include("rubrics.urls")),
    path("", include("notifications.urls")),
]
