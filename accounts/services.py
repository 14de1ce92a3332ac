"""Every change to API tokens: made, revoked by their owner, revoked with a password change. Audited."""

import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F

from coursesite.audit import audit_record
from coursesite.models import User

from .models import PREFIX_LENGTH, ApiToken, hash_key


@transaction.atomic
def token_create(*, user: User, name: str = "", by: User | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` and its key (shown this once). Beyond the per-user cap the least recently used go."""
    key = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], key_hash=hash_key(key), prefix=key[:PREFIX_LENGTH]
    )
    audit_record(actor=by or user, action="api_token.create", target=token, user=user.username, prefix=token.prefix)
    keep = max(1, settings.COURSESITE_TOKENS_PER_USER)
    surplus = list(
        ApiToken.objects.filter(user=user)
        .order_by(F("last_used_at").desc(nulls_last=True), "-created_at", "-id")
        .values_list("pk", "prefix")[keep:]
    )
    if surplus:
        ApiToken.objects.filter(pk__in=[pk for pk, _ in surplus]).delete()
        audit_record(
            actor=by or user,
            action="api_token.revoke_all",
            target=user,
            reason=f"more than {keep} tokens: the least recently used were revoked",
            prefixes=[prefix for _, prefix in surplus],
        )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> None:
    audit_record(actor=by, action="api_token.revoke", target=token, user=token.user.username, prefix=token.prefix)
    token.delete()


@transaction.atomic
def tokens_revoke_all(*, user: User, reason: str, by: User | None = None) -> int:
    """Revoke every token of `user` (a password change or reset does, on every path)."""
    prefixes = list(ApiToken.objects.filter(user=user).values_list("prefix", flat=True))
    if not prefixes:
        return 0
    ApiToken.objects.filter(user=user).delete()
    audit_record(actor=by, action="api_token.revoke_all", target=user, reason=reason, prefixes=prefixes)
    return len(prefixes)
