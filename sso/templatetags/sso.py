"""`{% sso_login_button %}`: the login page's "Sign in with <university>" link, when single sign-on is on."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from ..oidc import oidc_enabled, oidc_setting

register = template.Library()


@register.inclusion_tag("sso/login_button.html", takes_context=True)
def sso_login_button(context: template.Context) -> dict[str, str]:
    if not oidc_enabled():
        return {"url": ""}
    url = reverse("sso_oidc_login")
    next_url = context.get("next")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return {"url": url, "name": str(oidc_setting("OIDC_DISPLAY_NAME"))}
