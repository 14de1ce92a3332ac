"""`python -m workers.judge`: grade one submission against one suite (runs in the runtime)."""

import sys

from workers.judge.judge import main

sys.exit(main())
