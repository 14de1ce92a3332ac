"""Admin: the external identities bound to users (an administrator may remove a wrong binding)."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin

from .models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(ModelAdmin[ExternalIdentity]):
    list_display = ("user", "issuer", "subject", "created_at", "last_seen_at")
    list_filter = ("issuer",)
    search_fields = ("user__username", "subject")
    readonly_fields = ("created_at", "last_seen_at")
