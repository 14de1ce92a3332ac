"""Matching a person who signs in from outside (identity provider, LMS) to a user on a roster. Audited."""

from django.db import IntegrityError, transaction

from coursesite.audit import audit_record
from coursesite.models import Course, Membership, User

from .models import ExternalIdentity


class SignInRefused(Exception):
    """Why a sign-in from outside is refused, in words for the person (shown on a 403 page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NOT_ON_ROSTER = (
    "Your university account ({name}) is not on the roster of any course on this site, so you cannot sign in here. "
    "If you take or teach a course that uses this site, ask its examiner to add you to the roster."
)


NOT_ON_COURSE_ROSTER = (
    "You ({name}) are not on the roster of {code} on this site, so you cannot sign in from this course. "
    "Ask the course's examiner to add you to the roster."
)


def _on_a_roster(user: User, course: Course | None) -> bool:
    memberships = Membership.objects.filter(user=user)
    return (memberships.filter(course=course) if course is not None else memberships).exists()


def _not_on_roster(name: str, course: Course | None) -> SignInRefused:
    if course is not None:
        return SignInRefused(NOT_ON_COURSE_ROSTER.format(name=name, code=course.code))
    return SignInRefused(NOT_ON_ROSTER.format(name=name))


def identity_sign_in(*, issuer: str, subject: str, username: str, via: str, course: Course | None = None) -> User:
    """The roster user of this issuer's `subject`: bound earlier, or now by `username`, the value of the claim
    the deployment trusts (one the university sets, never one the person edits). Never creates a user.

    The first sign-in binds (issuer, subject) to the user; later ones are matched by it alone, so a username the
    issuer later gives to someone else does not open the account. A user bound to one subject is never bound to
    a second one at the same issuer (refused: an administrator removes the old binding in the admin).
    With `course` (an LMS launch from that course), the person must be on that course's roster, checked before
    anything is bound."""
    if not issuer or not subject:
        raise SignInRefused("The sign-in did not say who you are (no subject). Please try again.")
    identity = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise SignInRefused("Your account on this site is disabled. Ask the course's examiner.")
        if not _on_a_roster(user, course):
            raise _not_on_roster(user.username, course)
        identity.save(update_fields=["last_seen_at"])
        return user
    if not username:
        raise SignInRefused(
            "Your university did not send your username, so this site cannot find you on a roster. "
            "Ask the site's administrator to check the single sign-on settings."
        )
    matches = list(User.objects.filter(username__iexact=username)[:2])
    if len(matches) != 1 or not matches[0].is_active or not _on_a_roster(matches[0], course):
        raise _not_on_roster(username, course)
    user = matches[0]
    try:
        with transaction.atomic():
            if ExternalIdentity.objects.filter(issuer=issuer, user=user).exists():
                raise SignInRefused(
                    f"The account {user.username} on this site is already linked to a different account at your "
                    "university. Ask the site's administrator to check it."
                )
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            audit_record(actor=user, action="identity.bind", target=identity, issuer=issuer, via=via)
    except IntegrityError:
        # The same person signing in twice at once: the other request bound it.
        identity = ExternalIdentity.objects.filter(issuer=issuer, subject=subject, user=user).first()
        if identity is None:
            raise SignInRefused("Your sign-in could not be completed. Please try again.") from None
    return user
