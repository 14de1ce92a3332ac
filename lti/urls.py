"""LTI routes: what the LMS calls under /lti/, and the examiner's page under /c/<code>/lti/."""

from django.urls import path

from . import views

urlpatterns = [
    path("lti/login/", views.login, name="lti_login"),
    path("lti/launch/", views.launch, name="lti_launch"),
    path("lti/jwks/", views.jwks, name="lti_jwks"),
    path("lti/deep-link/", views.deep_link, name="lti_deep_link"),
    path("c/<slug:code>/lti/", views.tool_config, name="lti_tool_config"),
    path("c/<slug:code>/lti/scores/", views.scores, name="lti_scores"),
    path("c/<slug:code>/lti/scores/<int:pk>/send-again/", views.score_send_again, name="lti_score_send_again"),
]
