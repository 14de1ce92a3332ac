"""API tokens: several per user (one per script or machine), only a hash of the key is stored."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models

PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What it is for, e.g. 'laptop'.")
    # The key itself is shown once, when it is made; the start of it tells tokens apart in lists.
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.user} ({self.name or 'unnamed'})"

    @property
    def expires_at(self) -> dt.datetime:
        return self.created_at + dt.timedelta(days=settings.COURSESITE_TOKEN_MAX_AGE_DAYS)
