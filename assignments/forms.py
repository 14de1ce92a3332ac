"""Forms of the assignment pages (the services do the checking; these only parse the input)."""

from django import forms
from django.forms import ModelForm

from .models import Assignment

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AssignmentForm(ModelForm[Assignment]):
    handout = forms.FileField(required=False, help_text="Replaces the current handout when given.")

    class Meta:
        model = Assignment
        fields = ["number", "title", "description", "released_at", "deadline_at", "bonus_max", "regrade_window_days"]
        widgets = {"released_at": DATETIME, "deadline_at": DATETIME, "description": forms.Textarea(attrs={"rows": 4})}


class ReviewForm(forms.Form):
    passed = forms.TypedChoiceField(
        choices=[("1", "Pass"), ("0", "Fail")], coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    bonus = forms.IntegerField(min_value=0, initial=0)
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)


class RegradeRequestForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What did the review miss?")


class RegradeAnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    passed = forms.TypedChoiceField(
        choices=[("", "Keep the outcome"), ("1", "Pass"), ("0", "Fail")],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    bonus = forms.IntegerField(min_value=0, required=False, help_text="Leave empty to keep the bonus.")


class ExtensionForm(forms.Form):
    student = forms.CharField(label="Student username")
    deadline_at = forms.DateTimeField(widget=DATETIME, label="New deadline")
    reason = forms.CharField(required=False, max_length=300)
