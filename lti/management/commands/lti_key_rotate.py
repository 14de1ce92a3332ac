"""`python manage.py lti_key_rotate [--retire-old]`: a new signing key for the tool's JWKS."""

from django.core.management.base import BaseCommand

from lti.keys import tool_key_rotate


class Command(BaseCommand):
    help = "Add a new signing key to the tool's JWKS; --retire-old removes the older ones from it."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--retire-old", action="store_true")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        key = tool_key_rotate(retire_old=options["retire_old"])
        self.stdout.write(f"New signing key {key.kid}")
