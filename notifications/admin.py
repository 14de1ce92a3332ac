"""Admin of notifications: read what was sent (announcements and notifications are history, not edited here)."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin

from .models import Announcement, Notification


@admin.register(Notification)
class NotificationAdmin(ModelAdmin[Notification]):
    list_display = ("created_at", "user", "kind", "subject", "emailed")
    list_filter = ("kind",)
    search_fields = ("user__username", "subject")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ModelAdmin[Announcement]):
    list_display = ("created_at", "course", "audience", "subject")

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
