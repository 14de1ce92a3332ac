"""Django admin of projects: the per-course settings, and groups with their members for the instructor."""

from django.contrib import admin

from .models import (
    FinalReport,
    Group,
    GroupMember,
    HelpAvailability,
    HelpBooking,
    OralGrade,
    OralSlot,
    ProjectSettings,
    Proposal,
)


@admin.register(ProjectSettings)
class ProjectSettingsAdmin(admin.ModelAdmin[ProjectSettings]):
    list_display = ("course", "group_size", "help_slot_minutes", "max_upcoming_bookings", "unconfirmed_result")


class GroupMemberInline(admin.TabularInline[GroupMember, Group]):
    model = GroupMember
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("course", "user", "joined_at")
    can_delete = False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin[Group]):
    list_display = ("name", "course", "approved_at", "compute_account", "compute_granted_on")
    list_filter = ("course",)
    inlines = [GroupMemberInline]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin[Proposal]):
    list_display = ("group", "version", "title", "status", "due_on", "late")
    list_filter = ("status",)


admin.site.register(FinalReport)
admin.site.register(OralSlot)
admin.site.register(OralGrade)
admin.site.register(HelpAvailability)
admin.site.register(HelpBooking)
