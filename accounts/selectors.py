"""Reads of API tokens."""

from django.db.models import QuerySet

from coursesite.models import User

from .models import ApiToken


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_of(*, user: User, pk: int) -> ApiToken | None:
    """The token `pk` if it is `user`'s own; someone else's does not exist for them."""
    return ApiToken.objects.filter(user=user, pk=pk).first()
