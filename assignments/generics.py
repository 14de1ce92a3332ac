"""Django classes that the stubs make generic, subscriptable at run time too: `ModelAdmin[Model]`, `ModelForm[Model]`,
`TabularInline[Model, Parent]`.

django-stubs types them as generics; at run time they are plain classes, and django_stubs_ext (whose monkeypatch()
does this for every such class) is a dev requirement only. To the type checker these names are Django's own classes.
(Used by the admin and forms of assignments, exams and grading; it belongs in coursesite once that is settled.)
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline
    ModelForm = forms.ModelForm
else:

    class _Subscriptable:
        def __class_getitem__(cls, _: Any) -> type:
            return cls

    class ModelAdmin(_Subscriptable, admin.ModelAdmin):
        pass

    class TabularInline(_Subscriptable, admin.TabularInline):
        pass

    class ModelForm(_Subscriptable, forms.ModelForm):
        pass


__all__ = ["ModelAdmin", "ModelForm", "TabularInline"]
