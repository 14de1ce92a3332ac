"""Staff insight records: similarity checks of an assignment's latest code, their documents and ranked pairs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

DEFAULT_THRESHOLD = 0.5


class SimilarityCheck(models.Model):
    """One run of the similarity check over every student's latest code (and optional archives of earlier terms)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        ERROR = "error", "Failed"

    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    archive = models.FileField(max_length=300, blank=True, help_text="Earlier terms' code (a zip), if uploaded.")
    base_code = models.FileField(max_length=300, blank=True, help_text="Extra starter code (besides the handout).")
    threshold = models.FloatField(default=DEFAULT_THRESHOLD, help_text="Pairs at or above it are listed first.")
    documents_count = models.PositiveIntegerField(default=0)
    base_names = models.JSONField(default=list, blank=True, help_text="Files counted as base code.")

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Similarity check {self.pk} of {self.assignment} ({self.state})"


class SimilarityDocument(models.Model):
    """The code of one student (their latest submission) or of one earlier-term archive entry, as compared."""

    check_run = models.ForeignKey(SimilarityCheck, on_delete=models.CASCADE, related_name="documents")
    label = models.CharField(max_length=300, help_text="The student's username, or 'archive:NAME'.")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    submission = models.ForeignKey("assignments.Submission", null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(help_text="The Python files and notebook code cells, one after another.")

    class Meta:
        ordering = ["check_run", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_archive(self) -> bool:
        return self.student_id is None


class SimilarityPair(models.Model):
    """Two documents' overlap (copydetect's winnowed fingerprints, base code removed) and the staff's decision."""

    class Decision(models.TextChoices):
        OPEN = "", "Not reviewed"
        FINE = "fine", "Reviewed, fine"
        REFER = "refer", "Refer to examiner"

    check_run = models.ForeignKey(SimilarityCheck, on_delete=models.CASCADE, related_name="pairs")
    a = models.ForeignKey(SimilarityDocument, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(SimilarityDocument, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(help_text="The larger of the two shares of code found in the other, 0..1.")
    similarity_a = models.FloatField()
    similarity_b = models.FloatField()
    overlap_tokens = models.PositiveIntegerField(default=0)
    # Shared fragments as [[start, end], ...] character ranges of each document's text.
    slices_a = models.JSONField(default=list)
    slices_b = models.JSONField(default=list)
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.OPEN, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["check_run", "-similarity", "pk"]
        indexes = [models.Index(fields=["check_run", "-similarity"], name="insight_pair_rank_idx")]

    def __str__(self) -> str:
        return f"{self.a.label} ~ {self.b.label}: {self.similarity:.0%}"
