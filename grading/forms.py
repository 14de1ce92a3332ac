"""Forms of the examiner's grading pages."""

from django import forms
from django.forms import ModelForm

from .models import GradingSettings
from .policy import GRADES


class GradingSettingsForm(ModelForm[GradingSettings]):
    class Meta:
        model = GradingSettings
        fields = ["bonus_threshold", "assignments_required", "require_assignments_for_final", "final_grade_module"]
        labels = {
            "bonus_threshold": "Bonus points for one step up",
            "assignments_required": "Assignments required for LAB1",
            "require_assignments_for_final": "A final grade needs LAB1 passed",
            "final_grade_module": "In the student records export, the final grade goes to",
        }

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["final_grade_module"].required = False  # a form without it keeps the course's setting

    def clean_final_grade_module(self) -> str:
        return self.cleaned_data.get("final_grade_module") or self.instance.final_grade_module


class FinalGradeChangeForm(forms.Form):
    grade = forms.ChoiceField(choices=[("", "No final grade")] + [(g, g) for g in GRADES], required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The student sees this reason in their grade history."
    )
