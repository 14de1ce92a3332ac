"""Grade a local file or folder synchronously with the real judge and sandbox, using an assignment's suite."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from workers import conf, runtimes
from workers.results import Outcome, TestRecord


def _suite_dir(assignment: str) -> tuple[Path, str]:
    """The assignment's active uploaded suite, else the demo course's suite folder in the repository."""
    try:
        code, number = assignment.split("/", 1)
        number_int = int(number)
    except ValueError:
        raise CommandError(f"--assignment must look like DD2424/1, not {assignment!r}") from None
    try:
        from workers.fetch import fetch_suite
        from workers.models import Suite

        suite = (
            Suite.objects.filter(assignment__course__code=code, assignment__number=number_int, is_active=True)
            .select_related("assignment")
            .first()
        )
        if suite is not None:
            return fetch_suite(suite), f"uploaded suite v{suite.version}"
    except DatabaseError:
        pass  # no database at hand: the repository's suite folder still works
    folder = conf.demo_suite_dir(code, number_int)
    if (folder / "suite.toml").is_file():
        return folder, f"suite folder {folder}"
    raise CommandError(f"No suite for {assignment}: upload one, or pass --suite FOLDER.")


class Command(BaseCommand):
    help = "Grade PATH (.py, .ipynb, .zip or folder) with an assignment's active suite, synchronously."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--assignment", help="COURSE/NUMBER, e.g. DD2424/1")
        parser.add_argument("--suite", type=Path, help="a suite folder instead of the assignment's suite")
        parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
        parser.add_argument("--figures", type=Path, help="keep the figures in this folder")
        parser.add_argument("--gpu", type=int, help="GPU index for a gpu suite (default: COURSESITE_GPU_INDEX or 0)")

    def handle(self, *args: Any, **options: Any) -> None:
        from workers.judge.local import grade_local
        from workers.judge.suite import SuiteError, load_suite

        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        if options["suite"]:
            suite_dir, origin = options["suite"], f"suite folder {options['suite']}"
        elif options["assignment"]:
            suite_dir, origin = _suite_dir(options["assignment"])
        else:
            raise CommandError("Give --assignment COURSE/NUMBER (or --suite FOLDER).")
        try:
            suite = load_suite(suite_dir)
        except SuiteError as error:
            raise CommandError(str(error)) from None
        queue, runtime = suite.queue, suite.runtime
        try:
            python: str | None = runtimes.python_for(runtime)
        except (KeyError, runtimes.RuntimeConfigError):
            python = None  # grade_local reports it: an infrastructure error
        gpu = None
        if queue == "gpu":
            gpu = options["gpu"] if options["gpu"] is not None else conf.gpu_index()

        def show(test: TestRecord) -> None:
            self.stderr.write(f"{test['status']:>8}  {test['points']:g}/{test['max_points']:g}  {test['name']}")

        result = grade_local(
            suite_dir,
            path,
            on_result=None if options["json"] else show,
            figures_dir=options["figures"],
            gpu=gpu,
            runtime=runtime,
            python=python,
        )
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(f"{origin}: {result['outcome']} {result['score']:g}/{result['max_score']:g}")
            for note in [*result["notes"], *result["staff_notes"]]:  # staff run this: the details too
                self.stdout.write(str(note))
        if result["outcome"] == Outcome.INFRASTRUCTURE_ERROR:
            sys.exit(2)
