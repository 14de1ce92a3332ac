"""`Authorization: Token KEY` for the API: looked up by the key's hash, refused once revoked or expired."""

import datetime as dt

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken, hash_key

# Writing the time of last use on every request would cost a write per API call; this is precise enough.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):  # type: ignore[no-untyped-def]
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise AuthenticationFailed(
                "This API token is not valid: it was revoked (a password change revokes all of them) or never "
                "existed. Get a new one from /api/token/."
            )
        if not token.user.is_active:
            raise AuthenticationFailed("This account is disabled.")
        now = timezone.now()
        if token.expires_at <= now:
            raise AuthenticationFailed(
                f"This API token expired on {timezone.localtime(token.expires_at):%Y-%m-%d}. "
                "Get a new one from /api/token/."
            )
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
