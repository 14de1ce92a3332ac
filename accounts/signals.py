"""A password change or reset, on any path (the change and reset pages, the admin, `manage.py changepassword`,
`set_password` + `save` in code), revokes the user's API tokens and ends a sign-in lock-out of the account.

The hook is the user's save: the stored hash is compared with the one being saved. Every one of those paths goes
through `set_password`, which keeps the new password until the save; a new hash of the same password is no change.
Django's own re-hash at sign-in (when the preferred hasher or its work factor changed) clears that on purpose and is
no change either; `set_unusable_password` (no sign-in at all any more) is one.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import services

_CHANGED = "_accounts_password_changed"


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_password_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is None or old == instance.password:
        return
    new_raw = getattr(instance, "_password", None)
    if is_password_usable(instance.password):
        if new_raw is None:
            return  # Django upgrading the hash of the password just checked at sign-in
        if check_password(new_raw, old):
            return  # the same password, hashed anew
    setattr(instance, _CHANGED, True)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_after_password_change(sender, instance, created=False, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if created or not getattr(instance, _CHANGED, False):
        return
    setattr(instance, _CHANGED, False)
    services.tokens_revoke_all(user=instance, reason="password changed")
    AxesProxyHandler.reset_attempts(username=instance.get_username())
