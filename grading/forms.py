"""Forms of the examiner's grading pages."""

from django import forms

from .models import GradingSettings
from .policy import GRADES


class GradingSettingsForm(forms.ModelForm):
    class Meta:
        model = GradingSettings
        fields = ["bonus_threshold", "assignments_required", "require_assignments_for_final"]
        labels = {
            "bonus_threshold": "Bonus points for one step up",
            "assignments_required": "Assignments required for LAB1",
            "require_assignments_for_final": "A final grade needs LAB1 passed",
        }


class FinalGradeChangeForm(forms.Form):
    grade = forms.ChoiceField(choices=[("", "No final grade")] + [(g, g) for g in GRADES], required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The student sees this reason in their grade history."
    )
