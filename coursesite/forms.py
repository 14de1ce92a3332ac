"""Forms of the course core: the course-wide dates the examiner edits."""

from django import forms
from django.forms import ModelForm

from .models import Course

LABELS = {
    "first_lecture_on": "First lecture",
    "proposal_deadline": "Project proposal deadline",
    "proposal_approval_days": "Days the examiner has to answer a proposal",
    "report_deadline": "Final project report deadline",
    "orals_start": "Oral period: first day",
    "orals_end": "Oral period: last day",
    "exam_poll_opens": "Exam date poll opens",
    "exam_poll_closes": "Exam date poll closes",
    "exam_period_start": "Exam period: first candidate day",
    "exam_period_end": "Exam period: last candidate day",
}


class CourseDatesForm(ModelForm[Course]):
    """Moments are typed in the course's time zone: CourseTimezoneMiddleware activates it on the course's pages."""

    class Meta:
        model = Course
        fields = list(Course.DATE_FIELDS)
        labels = LABELS
        widgets = {
            name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for name in ("proposal_deadline", "report_deadline", "exam_poll_opens", "exam_poll_closes")
        } | {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in ("first_lecture_on", "orals_start", "orals_end", "exam_period_start", "exam_period_end")
        }
