#!/usr/bin/env python
"""Django's command-line utility for coursesite."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
    os.umask(0o027)  # before the settings make the state folder
    from django.core.management import execute_from_command_line

    from coursesite.state import make_state_private

    make_state_private()

    execute_from_command_line(sys.argv)
