"""`python manage.py lti_platform_list [--json]`: the registered LTI platforms."""

import json

from django.core.management.base import BaseCommand

from lti.models import Platform

FIELDS = ("id", "issuer", "client_id", "deployment_id", "auth_login_url", "auth_token_url", "keyset_url")


class Command(BaseCommand):
    help = "List the registered LTI 1.3 platforms."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--json", action="store_true", help="one JSON array, for scripts")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        platforms = Platform.objects.select_related("course")
        if options["json"]:
            rows = [{**{f: getattr(p, f) for f in FIELDS}, "course": p.course.code} for p in platforms]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not platforms:
            self.stdout.write("No LTI platforms are registered.")
        for p in platforms:
            self.stdout.write(
                f"{p.pk}\t{p.course.code}\tissuer={p.issuer}\tclient_id={p.client_id}\tdeployment_id={p.deployment_id}"
            )
