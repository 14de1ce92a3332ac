"""App configuration of accounts: sign-in throttling and API tokens."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts: sign-in and API tokens"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the password-change receivers)
