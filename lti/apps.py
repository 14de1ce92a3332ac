"""App configuration of the LTI 1.3 tool."""

from django.apps import AppConfig


def lti_nav(membership):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from coursesite.context_processors import NavLink

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
