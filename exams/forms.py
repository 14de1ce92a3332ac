"""Forms of the exam pages: the examiner's settings, and the date/time fields read in the course's time zone."""

import datetime as dt

from django import forms
from django.forms import ModelForm

from coursesite.models import Course

from .models import Exam


class ExamSettingsForm(ModelForm[Exam]):
    class Meta:
        model = Exam
        fields = Exam.SETTINGS_FIELDS
        labels = {
            "choice_cutoff": "Project/exam choice closes",
            "part1_marking": "Part I marked as",
            "part1_max": "Part I maximum points",
            "part1_pass": "Part I points to pass (E)",
            "fx_margin": "Fx margin (Part I points below the threshold)",
            "part2_max": "Part II maximum points",
            "grade_d": "Part II points for D",
            "grade_c": "Part II points for C",
            "grade_b": "Part II points for B",
            "grade_a": "Part II points for A",
        }
        widgets = {"choice_cutoff": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}


def local_datetime(course: Course, value: str) -> dt.datetime:
    """A `datetime-local` input, read as a moment in the course's time zone."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise forms.ValidationError("Enter a date and time, e.g. 2026-05-25 15:00.") from exc
    return naive.replace(tzinfo=course.tz) if naive.tzinfo is None else naive


class PickSessionsForm(forms.Form):
    days = forms.TypedMultipleChoiceField(coerce=dt.date.fromisoformat, label="Exam dates")
    deadline_time = forms.TimeField(initial=dt.time(15, 0), label="Answers due at (course time)")
    deadline_days_after = forms.IntegerField(min_value=0, max_value=14, initial=0, label="Days after the exam day")

    def __init__(self, *args, candidates=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        assert isinstance(days, forms.TypedMultipleChoiceField)
        days.choices = [(c.day.isoformat(), f"{c.day:%a %-d %b %Y}") for c in candidates]
        self.fields["deadline_time"].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
