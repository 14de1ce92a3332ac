"""LTI platforms (an LMS course's placement of the tool), the tool's own signing keys, login states, and the
gradebook's line items and score sends (Assignment and Grade Services)."""

from django.conf import settings
from django.db import models

from coursesite.models import Course


class Platform(models.Model):
    """One deployment of the tool in an LMS, tied to one course here. Canvas: the developer key's client id, and
    the deployment id of the tool installed in the Canvas course."""

    issuer = models.CharField(max_length=255, help_text="e.g. https://canvas.instructure.com")
    client_id = models.CharField(max_length=255, help_text="Canvas: the developer key's Client ID")
    deployment_id = models.CharField(max_length=255, help_text="Canvas: the Deployment ID of the installed app")
    auth_login_url = models.URLField(
        max_length=500, help_text="e.g. https://sso.canvaslms.com/api/lti/authorize_redirect"
    )
    auth_token_url = models.URLField(max_length=500, help_text="e.g. https://sso.canvaslms.com/login/oauth2/token")
    keyset_url = models.URLField(max_length=500, help_text="e.g. https://sso.canvaslms.com/api/lti/security/jwks")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_platforms")
    created_at = models.DateTimeField(auto_now_add=True)
    # Names and Role Provisioning: the course's membership service and a resource link, from the latest launch.
    memberships_url = models.URLField(max_length=1000, blank=True)
    resource_link_id = models.CharField(max_length=255, blank=True)
    # Assignment and Grade Services: the LMS course's line items (gradebook columns) and the granted scopes, from
    # the latest launch's or deep-linking request's endpoint claim. Empty: no grade passback.
    lineitems_url = models.URLField(max_length=1000, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["issuer", "client_id", "deployment_id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id", "deployment_id"], name="one_platform_per_deployment")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} client {self.client_id} deployment {self.deployment_id} -> {self.course.code}"


class ToolKey(models.Model):
    """The tool's RSA signing keys, published in its JWKS. Rotating adds a new key, which signs from then on; the
    older ones stay published until retired, so messages signed with them still verify."""

    kid = models.CharField(max_length=64, unique=True)
    private_key_pem = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kid} ({'published' if self.active else 'retired'})"


class LoginState(models.Model):
    """One OIDC login initiation: the state and nonce sent to the platform, used by at most one launch."""

    state = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=64)
    issuer = models.CharField(max_length=255)
    client_id = models.CharField(max_length=255)
    target_link_uri = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login at {self.issuer} ({'used' if self.used_at else 'open'})"


class LineItem(models.Model):
    """A gradebook column in the LMS course that coursesite made (or found) for one of its items: remembered, so
    it is created once and every later score goes to the same column."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="line_items")
    item = models.CharField(max_length=32, help_text='"assignment:N" or "final"')
    url = models.URLField(max_length=1000, blank=True, help_text="The line item's id at the LMS; empty until made")
    label = models.CharField(max_length=255)
    score_maximum = models.DecimalField(max_digits=7, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "item"], name="one_line_item_per_item")]

    def __str__(self) -> str:
        return f"{self.label} at {self.platform.issuer}"


class ScoreSend(models.Model):
    """One score to put in the LMS gradebook (a review, a regrade, a final grade) and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="score_sends")
    item = models.CharField(max_length=32, help_text='"assignment:N" or "final"')
    label = models.CharField(max_length=255, help_text="What it is, in words: Assignment 1: ..., Final grade")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score_given = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    score_maximum = models.DecimalField(max_digits=7, decimal_places=2)
    comment = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it failed (or why it is being retried)")
    attempts = models.PositiveIntegerField(default=0)
    scored_at = models.DateTimeField(help_text="When the score was given here: the AGS timestamp")
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scored_at", "-id"]
        indexes = [models.Index(fields=["platform", "item", "student"])]

    def __str__(self) -> str:
        return f"{self.label} of {self.student} ({self.status})"
