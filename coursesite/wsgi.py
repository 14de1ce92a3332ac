"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from coursesite.state import make_state_private

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
os.umask(0o027)
application = get_wsgi_application()
make_state_private()
