"""Django's generic classes as the type checker writes them (`ModelAdmin[Course]`), usable as bases at run time.

django-stubs makes these classes generic for mypy, but Django's own are not subscriptable at run time
(django_stubs_ext's monkeypatch would make them so; it is a development tool, not installed in production).
Subclass these instead: to mypy they are Django's classes; at run time they are Django's classes with a
`__class_getitem__` that returns the class itself.

    from coursesite.generic import ModelAdmin
    class CourseAdmin(ModelAdmin[Course]): ...
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin

__all__ = ["ModelAdmin", "ModelForm", "StackedInline", "TabularInline", "UserAdmin"]

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline
    StackedInline = admin.StackedInline
    UserAdmin = auth_admin.UserAdmin
    ModelForm = forms.ModelForm
else:

    class _Subscriptable:
        def __class_getitem__(cls, _params: Any) -> type:
            return cls

    class ModelAdmin(_Subscriptable, admin.ModelAdmin):
        pass

    class TabularInline(_Subscriptable, admin.TabularInline):
        pass

    class StackedInline(_Subscriptable, admin.StackedInline):
        pass

    class UserAdmin(_Subscriptable, auth_admin.UserAdmin):
        pass

    class ModelForm(_Subscriptable, forms.ModelForm):
        pass
