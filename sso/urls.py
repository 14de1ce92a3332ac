"""Single sign-on routes (included under /sso/)."""

from django.urls import path

from . import oidc

urlpatterns = [
    path("oidc/login/", oidc.OIDCLoginView.as_view(), name="sso_oidc_login"),
    path("oidc/callback/", oidc.OIDCCallbackView.as_view(), name="sso_oidc_callback"),
]
