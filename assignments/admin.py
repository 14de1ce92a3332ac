"""Django admin for assignments."""

from django.contrib import admin

from .models import Assignment


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("course", "number", "title", "released_at", "deadline_at", "bonus_max")
    list_filter = ("course",)
