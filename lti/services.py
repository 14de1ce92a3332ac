"""Registering LMS platforms (the management commands and tests call these). Audited."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from coursesite.audit import audit_record
from coursesite.models import Course

from .models import Platform


def platform_add(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    course_code: str,
) -> Platform:
    """Register one deployment of the tool in an LMS for a course; raises ValidationError with words."""
    errors = {}
    for name, value in (
        ("--issuer", issuer),
        ("--auth-login-url", auth_login_url),
        ("--auth-token-url", auth_token_url),
        ("--keyset-url", keyset_url),
    ):
        try:
            URLValidator(schemes=["https", "http"])(value)
        except ValidationError:
            errors[name] = f"{value!r} is not a URL"
    for name, value in (("--client-id", client_id), ("--deployment-id", deployment_id)):
        if not value.strip():
            errors[name] = "must not be empty"
    course = Course.objects.filter(code=course_code).first()
    if course is None:
        errors["--course"] = f"there is no course {course_code!r}"
    if errors or course is None:
        raise ValidationError([f"{name}: {message}" for name, message in errors.items()])
    with transaction.atomic():
        if Platform.objects.filter(issuer=issuer, client_id=client_id, deployment_id=deployment_id).exists():
            raise ValidationError(["this issuer, client id and deployment id are already registered"])
        platform = Platform.objects.create(
            issuer=issuer,
            client_id=client_id,
            deployment_id=deployment_id,
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            keyset_url=keyset_url,
            course=course,
        )
        audit_record(actor=None, action="lti_platform.add", course=course, target=platform, issuer=issuer)
    return platform


def platform_remove(*, platform: Platform) -> None:
    with transaction.atomic():
        audit_record(
            actor=None,
            action="lti_platform.remove",
            course=platform.course,
            target=platform,
            issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_id=platform.deployment_id,
        )
        platform.delete()
