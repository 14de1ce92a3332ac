"""Admin: LTI platforms (also managed by `lti_platform_add/list/remove`) and the tool's keys."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin

from .models import LineItem, Platform, ScoreSend, ToolKey


@admin.register(Platform)
class PlatformAdmin(ModelAdmin[Platform]):
    list_display = ("issuer", "client_id", "deployment_id", "course", "created_at")
    list_filter = ("course",)
    search_fields = ("issuer", "client_id", "deployment_id")


@admin.register(ToolKey)
class ToolKeyAdmin(ModelAdmin[ToolKey]):
    list_display = ("kid", "active", "created_at")
    fields = ("kid", "active", "created_at")
    readonly_fields = ("kid", "created_at")


@admin.register(LineItem)
class LineItemAdmin(ModelAdmin[LineItem]):
    list_display = ("label", "item", "platform", "url", "created_at")
    list_filter = ("platform__course",)


@admin.register(ScoreSend)
class ScoreSendAdmin(ModelAdmin[ScoreSend]):
    """Read only: the course's staff page sends again (audited)."""

    list_display = ("label", "student", "score_given", "score_maximum", "status", "attempts", "scored_at")
    list_filter = ("status", "platform__course")
    search_fields = ("student__username", "label")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
