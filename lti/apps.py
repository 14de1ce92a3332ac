"""App configuration of the LTI 1.3 tool."""

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from coursesite.hooks import NavLink
    from coursesite.models import Membership


def lti_nav(membership: "Membership") -> list["NavLink"]:
    from django.urls import reverse

    from coursesite.hooks import NavLink

    if not membership.is_instructor:
        return []
    return [NavLink("LMS (LTI)", reverse("lti_tool_config", args=[membership.course.code]), 96)]


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = "LTI 1.3 (LMS launches)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coursesite import hooks

        hooks.registry.nav.append(lti_nav)
