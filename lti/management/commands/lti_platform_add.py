"""`python manage.py lti_platform_add --issuer URL --client-id ID --deployment-id ID --auth-login-url URL
--auth-token-url URL --keyset-url URL --course CODE`: register an LMS deployment of the tool for a course."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lti.services import platform_add


class Command(BaseCommand):
    help = "Register an LTI 1.3 platform (an LMS deployment of coursesite) for a course."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--issuer", required=True, help="the platform's issuer, e.g. https://canvas.instructure.com"
        )
        parser.add_argument("--client-id", required=True, help="Canvas: the developer key's Client ID")
        parser.add_argument("--deployment-id", required=True, help="Canvas: the installed app's Deployment ID")
        parser.add_argument("--auth-login-url", required=True, help="the platform's OIDC authorization endpoint")
        parser.add_argument("--auth-token-url", required=True, help="the platform's OAuth2 token endpoint")
        parser.add_argument("--keyset-url", required=True, help="the platform's JWKS URL")
        parser.add_argument("--course", required=True, help="the course code here, e.g. DD2424")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            platform = platform_add(
                issuer=options["issuer"],
                client_id=options["client_id"],
                deployment_id=options["deployment_id"],
                auth_login_url=options["auth_login_url"],
                auth_token_url=options["auth_token_url"],
                keyset_url=options["keyset_url"],
                course_code=options["course"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Registered platform {platform.pk}: {platform}")
