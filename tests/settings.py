"""Settings of the test run: the development defaults (DEBUG on; pytest-django turns DEBUG off again while tests
run), then coursesite's own. Set here, the variable also reaches the worker processes the tests start."""

import os

os.environ.setdefault("DEBUG", "1")

from coursesite.settings import *  # noqa: E402, F403
