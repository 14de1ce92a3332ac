"""`python manage.py lti_tool_config`: the tool's login, launch and JWKS URLs and Canvas's developer-key JSON
(from SITE_URL). Makes the tool's first signing key if it has none, so that the JWKS is never empty."""

import json

from django.core.management.base import BaseCommand

from lti.config import canvas_developer_key, tool_urls
from lti.keys import tool_key_current


class Command(BaseCommand):
    help = "Print the LTI tool's URLs and the Canvas developer-key JSON."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        tool_key_current()
        urls = tool_urls()
        self.stdout.write(f"OpenID Connect login URL: {urls['login_url']}")
        self.stdout.write(f"Launch URL (target link URI, redirect URI): {urls['launch_url']}")
        self.stdout.write(f"Public JWKS URL: {urls['jwks_url']}")
        self.stdout.write("Canvas developer key JSON:")
        self.stdout.write(json.dumps(canvas_developer_key(), indent=2))
