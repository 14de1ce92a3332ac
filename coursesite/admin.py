"""Django admin for staff: courses, users, memberships and the audit log (read-only)."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin, TabularInline
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .models import AuditLog, Course, Membership, User


@admin.register(User)
class CourseUserAdmin(UserAdmin[User]):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Course site", {"fields": ("full_name",)}))
    list_display = ("username", "full_name", "email", "is_staff")
    search_fields = ("username", "full_name", "email")


class MembershipInline(TabularInline[Membership, Course]):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Course)
class CourseAdmin(ModelAdmin[Course]):
    list_display = ("code", "name", "term", "timezone")
    inlines = [MembershipInline]


@admin.register(AuditLog)
class AuditLogAdmin(ModelAdmin[AuditLog]):
    list_display = ("at", "actor", "course", "action", "target_type", "target_id")
    list_filter = ("action", "course")
    search_fields = ("action", "actor__username", "target_id")
    list_select_related = ("actor", "course")
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False  # the trail is evidence: not even a superuser deletes or edits it here
