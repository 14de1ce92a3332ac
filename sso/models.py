"""External identities: a person's subject at an issuer (an identity provider or an LMS), bound to a user once."""

from django.db import models

from coursesite.models import User


class ExternalIdentity(models.Model):
    """The `sub` an issuer gives a person never changes and is never reused there (OpenID Connect Core 2,
    LTI 1.3 5.1.2). Once bound, later sign-ins are matched by it, whatever the username claim says then."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_issuer_subject"),
            models.UniqueConstraint(fields=["issuer", "user"], name="one_subject_per_issuer_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
