"""Admin: LTI platforms (also managed by `lti_platform_add/list/remove`) and the tool's keys."""

from django.contrib import admin

from .models import Platform, ToolKey


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("issuer", "client_id", "deployment_id", "course", "created_at")
    list_filter = ("course",)
    search_fields = ("issuer", "client_id", "deployment_id")


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "active", "created_at")
    fields = ("kid", "active", "created_at")
    readonly_fields = ("kid", "created_at")
