"""`python manage.py lti_platform_remove ID` or `--issuer URL --client-id ID --deployment-id ID`."""

from django.core.management.base import BaseCommand, CommandError

from lti.models import Platform
from lti.services import platform_remove


class Command(BaseCommand):
    help = "Remove a registered LTI 1.3 platform (its launches are refused from then on)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("id", nargs="?", type=int, help="the id lti_platform_list shows")
        parser.add_argument("--issuer")
        parser.add_argument("--client-id")
        parser.add_argument("--deployment-id")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        if options["id"] is not None:
            platform = Platform.objects.filter(pk=options["id"]).first()
        elif options["issuer"] and options["client_id"] and options["deployment_id"]:
            platform = Platform.objects.filter(
                issuer=options["issuer"], client_id=options["client_id"], deployment_id=options["deployment_id"]
            ).first()
        else:
            raise CommandError("Give the platform's id, or --issuer, --client-id and --deployment-id.")
        if platform is None:
            raise CommandError("No such platform (see python manage.py lti_platform_list).")
        description = str(platform)
        platform_remove(platform=platform)
        self.stdout.write(f"Removed {description}")
