"""Writing audit rows: every service calls `audit_record` inside its transaction."""

from typing import Any

from django.db import models

from .models import AuditLog, Course, User


def audit_record(
    *, actor: User | None, action: str, course: Course | None = None, target: models.Model | None = None, **data: Any
) -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        course=course,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )
