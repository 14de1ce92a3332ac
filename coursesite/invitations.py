"""Invitations to choose a password, and the password reset that also reaches roster-created accounts.

A roster import creates accounts without a usable password. The examiner sends invitations from the roster page:
an e-mail with a link to choose a password, valid for `INVITATION_VALID_DAYS` and good for one use (the token
hashes the password, the last sign-in and the time of the invitation, so setting a password, signing in or a
newer invitation each end it). Links in e-mails use `SITE_URL`, never the Host header of the request.
"""

import datetime as dt
import smtplib
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from .audit import audit_record
from .models import Course, User


def site_url(path: str = "") -> str:
    """An absolute link to this site: SITE_URL (the demo sets it to the address it serves) and the path."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "coursesite.invitations.InvitationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        # Microseconds kept (PostgreSQL and SQLite store them): two invitations in one second still differ.
        invited = "" if user.invited_at is None else user.invited_at.replace(tzinfo=None).isoformat()
        return f"{super()._make_hash_value(user, timestamp)}{invited}"

    def check_token(self, user: User | None, token: str | None) -> bool:
        """As Django's, with the invitation's own validity (INVITATION_VALID_DAYS) instead of the reset's."""
        if not (user and token) or user.invited_at is None:
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= valid_for().total_seconds()


invitation_tokens = InvitationTokenGenerator()


def valid_for() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "INVITATION_VALID_DAYS", 7))


@dataclass
class InvitationResult:
    sent: list[User] = field(default_factory=list)
    skipped: list[tuple[User, str]] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.sent:
            parts.append(f"Invitation sent to {_names(u.username for u in self.sent)}.")
        else:
            parts.append("No invitation was sent.")
        for user, reason in self.skipped:
            parts.append(f"Not {user.username}: {reason}.")
        return " ".join(parts)


def _names(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) > 12:
        return f"{', '.join(items[:12])} and {len(items) - 12} more"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _invitation_message(*, user: User, course: Course, by: User, connection: BaseEmailBackend) -> EmailMessage:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    context = {
        "user": user,
        "course": course,
        "by": by,
        "link": site_url(reverse("invitation_accept", args=[uid, invitation_tokens.make_token(user)])),
        "login": site_url(reverse("login")),
        "reset": site_url(reverse("password_reset")),
        "days": valid_for().days,
    }
    subject = f"{course.code}: choose your password for the course site"
    body = render_to_string("registration/invitation_email.txt", context)
    return EmailMessage(subject, body, to=[user.email], connection=connection)


def invitations_send(*, course: Course, users: list[User], by: User) -> InvitationResult:
    """E-mail each person a link to choose a password; a new invitation ends the links of earlier ones."""
    result = InvitationResult()
    with transaction.atomic():
        locked = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=[u.pk for u in users])}
        connection = get_connection()
        messages = []
        now = timezone.now()
        for user in sorted(locked.values(), key=lambda u: u.username):
            if not user.is_active:
                result.skipped.append((user, "the account is disabled"))
                continue
            if not user.email:
                result.skipped.append((user, "no e-mail address on the roster"))
                continue
            user.invited_at = now
            user.save(update_fields=["invited_at"])
            messages.append(_invitation_message(user=user, course=course, by=by, connection=connection))
            result.sent.append(user)
            audit_record(actor=by, action="roster.invite", course=course, target=user, username=user.username)
        if messages:
            try:
                connection.send_messages(messages)
            except (smtplib.SMTPException, OSError) as exc:
                # Nothing is recorded as sent (the links would not work anyway: invited_at rolls back).
                raise ValidationError(
                    f"The mail server did not take the invitations ({exc.__class__.__name__}); none was sent. "
                    "Try again later."
                ) from exc
    return result


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, but it also reaches accounts without a usable password (made by a roster import), and its
    links use SITE_URL."""

    def get_users(self, email: str) -> Iterator[User]:
        email_field = User.get_email_field_name()
        candidates = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        return (u for u in candidates if _same_address(email, getattr(u, email_field)))

    def save(self, *args: Any, **kwargs: Any) -> None:
        """As Django's (its view passes every option by keyword), with links to SITE_URL and plain-text mail."""
        parts = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = parts.netloc
        kwargs["use_https"] = parts.scheme == "https"
        kwargs["email_template_name"] = "registration/password_reset_email.txt"
        kwargs["subject_template_name"] = "registration/password_reset_subject.txt"
        super().save(*args, **kwargs)


def _same_address(one: str, other: str) -> bool:
    """Django's comparison of e-mail addresses for a reset: case-insensitive, Unicode-normalised."""
    return unicodedata.normalize("NFKC", one).casefold() == unicodedata.normalize("NFKC", other).casefold()


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link in an invitation: choose a password (then sign in as usual)."""

    token_generator = invitation_tokens
    template_name = "registration/invitation_accept.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.user, action="roster_invitation.accept", target=form.user)
        return response
