"""LTI routes: what the LMS calls under /lti/, and the examiner's page under /c/<code>/lti/."""

from django.urls import path

from . import views

urlpatterns = [
    path("lti/login/", views.login, name="lti_login"),
    path("lti/launch/", views.launch, name="lti_launch"),
    path("lti/jwks/", views.jwks, name="lti_jwks"),
    path("lti/deep-link/", views.deep_link, name="lti_deep_link"),
    path("c/<slug:code>/lti/", views.tool_config, name="lti_tool_config"),
]
