"""Reads and validates a grading suite folder (suite.toml, tests/, public_data/, hidden_data/)."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers import runtimes
from workers.judge.signatures import Signature, parse

VISIBILITIES = ("visible", "hidden", "secret")
QUEUES = ("cpu", "gpu")
# The sandbox's Limits fields an instructor may set, plus the judge's own time limits.
SANDBOX_LIMITS = (
    "cpu_s", "wall_s", "memory_mb", "procs", "files", "fsize_mb", "output_kb", "tmpfs_mb", "work_mb", "work_files",
)  # fmt: skip
JUDGE_LIMITS = {"per_test_timeout_s": 60.0, "import_timeout_s": 30.0}
TEST_KEYS = {"points", "visibility", "timeout_s"}
FUNCTION_KEYS = {"signature", "aliases"}
TOP_LEVEL_KEYS = {"name", "assignment", "queue", "runtime", "required", "functions", "limits", "tests"}


class SuiteError(ValueError):
    """The suite is unusable; `problems` lists every reason in plain words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid suite: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class TestSpec:
    points: float = 0.0
    visibility: str = "visible"
    timeout_s: float | None = None


@dataclass(frozen=True)
class FunctionSpec:
    """A required function as declared under [functions.NAME]: its signature and the other names it may have."""

    name: str
    signature: Signature | None = None
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature.text() if self.signature else "",
            "call": self.signature.call_text() if self.signature else f"{self.name}(...)",
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True)
class Suite:
    root: Path
    name: str
    assignment: str
    queue: str
    required: tuple[str, ...]
    sandbox_limits: dict[str, int] = field(default_factory=dict)
    per_test_timeout_s: float = JUDGE_LIMITS["per_test_timeout_s"]
    import_timeout_s: float = JUDGE_LIMITS["import_timeout_s"]
    tests: dict[str, TestSpec] = field(default_factory=dict)
    runtime: str = runtimes.DEFAULT
    functions: dict[str, FunctionSpec] = field(default_factory=dict)

    def function(self, name: str) -> FunctionSpec:
        """The declaration of required function `name` (an empty one when the suite declares none)."""
        return self.functions.get(name) or FunctionSpec(name)

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests"

    @property
    def public_data(self) -> Path:
        return self.root / "public_data"

    @property
    def hidden_data(self) -> Path:
        return self.root / "hidden_data"

    @property
    def max_score(self) -> float:
        return sum(spec.points for spec in self.tests.values())

    def spec_for(self, nodeid: str) -> TestSpec:
        """A test's entry by node id ("test_a1.py::test_cost") or by function name;
        parametrised cases share their function's entry. Unlisted tests count 0 points."""
        base = nodeid.split("[", 1)[0]
        for key in (nodeid, base, base.rsplit("::", 1)[-1]):
            if key in self.tests:
                return self.tests[key]
        return TestSpec()


def syntax_errors(tests_dir: Path) -> list[str]:
    """Each Python file of tests/ that this Python cannot compile, with its file and line: pytest could not
    collect it, so none of its tests would run (the judge checks again with the grading runtime's Python)."""
    problems = []
    for path in sorted(tests_dir.rglob("*.py")):
        where = f"tests/{path.relative_to(tests_dir).as_posix()}"
        try:
            compile(path.read_bytes(), where, "exec", dont_inherit=True)
        except SyntaxError as error:  # IndentationError and TabError are SyntaxErrors too
            line = f", line {error.lineno}" if error.lineno else ""
            kind = type(error).__name__
            problems.append(f"{where}{line}: {kind}: {error.msg} (the file cannot be read, so its tests cannot run)")
        except (ValueError, RecursionError, MemoryError) as error:
            problems.append(f"{where}: the file cannot be compiled ({type(error).__name__}: {error})")
    return problems


def _test_functions(tests_dir: Path) -> set[str]:
    """Test function names and file::name ids defined in the suite's test files."""
    names: set[str] = set()
    for path in sorted(tests_dir.glob("test_*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                names.update({node.name, f"{path.name}::{node.name}"})
    return names


def _mentions_xfail(node: ast.AST) -> bool:
    """pytest.mark.xfail, pytest.xfail(), `from pytest import xfail`, getattr(mark, "xfail"), add_marker("xfail")."""
    if isinstance(node, ast.Attribute):
        return node.attr == "xfail"
    if isinstance(node, ast.Name):
        return node.id == "xfail"
    if isinstance(node, (ast.ImportFrom, ast.Import)):
        return any(alias.name.split(".")[-1] == "xfail" for alias in node.names)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() == "xfail"


def _xfail_uses(tests_dir: Path) -> list[str]:
    """Every xfail in the suite's Python files, each with its file, line and test: an expected failure would
    score as the judge decides, not as the instructor meant, so a suite may not have one."""
    problems = []
    for path in sorted(tests_dir.rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        where = f"tests/{path.relative_to(tests_dir).as_posix()}"
        seen: set[tuple[int, str]] = set()

        pending: list[tuple[ast.AST, str]] = [(tree, "")]
        while pending:  # a stack, not recursion: a deeply nested suite file cannot crash the upload
            node, owner = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owner = node.name if owner == "" else f"{owner}.{node.name}"
            if _mentions_xfail(node):
                line = getattr(node, "lineno", 0)
                if (line, owner) not in seen:
                    seen.add((line, owner))
                    test = f"test {owner}" if owner else "outside any test (it may mark every test in the file)"
                    problems.append(
                        f"{where}, {test}, line {line}: xfail is not allowed (an expected failure cannot be "
                        "scored fairly); make it an ordinary test or remove it"
                    )
            pending.extend((child, owner) for child in ast.iter_child_nodes(node))
    return problems


def _positive_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _check_config(config: dict[str, Any], problems: list[str]) -> None:
    for key in ("name", "assignment"):
        if not isinstance(config.get(key), str) or not config.get(key, "").strip():
            problems.append(f"'{key}' must be a non-empty string")
    if config.get("queue", "cpu") not in QUEUES:
        problems.append(f"'queue' must be one of {', '.join(QUEUES)}, not {config.get('queue')!r}")
    required = config.get("required")
    if (
        not isinstance(required, list)
        or not required
        or not all(isinstance(n, str) and n.isidentifier() for n in required)
    ):
        problems.append("'required' must be a non-empty list of function names")
    limits = config.get("limits", {})
    if not isinstance(limits, dict):
        problems.append("[limits] must be a table")
        limits = {}
    for key, value in limits.items():
        if key not in SANDBOX_LIMITS and key not in JUDGE_LIMITS:
            known_limits = ", ".join((*SANDBOX_LIMITS, *JUDGE_LIMITS))
            problems.append(f"unknown limit '{key}' (known: {known_limits})")
        elif not _positive_number(value) or (key in SANDBOX_LIMITS and not isinstance(value, int)):
            problems.append(f"limit '{key}' must be a positive {'integer' if key in SANDBOX_LIMITS else 'number'}")
    runtime = config.get("runtime", runtimes.default_for(config.get("queue", "cpu")))
    try:
        known = runtimes.names()
    except runtimes.RuntimeConfigError as error:
        known = []
        problems.append(f"the site's runtimes are misconfigured: {error}")
    if known and runtime not in known:
        problems.append(f"'runtime' must be one of the runtimes this site has ({', '.join(known)}), not {runtime!r}")
    _check_functions(config, required if isinstance(required, list) else [], problems)
    unknown = set(config) - TOP_LEVEL_KEYS
    if unknown:
        problems.append(f"unknown top-level key(s): {', '.join(sorted(unknown))}")


def _function_entry(entry: Any) -> dict[str, Any]:
    """[functions] NAME = "signature" is short for [functions.NAME] signature = "..."."""
    return {"signature": entry} if isinstance(entry, str) else entry


def _check_functions(config: dict[str, Any], required: list[Any], problems: list[str]) -> None:
    functions = config.get("functions", {})
    if not isinstance(functions, dict):
        problems.append("[functions] must be a table of the required functions")
        return
    taken = {name for name in required if isinstance(name, str)}
    for name, raw in functions.items():
        where = f"[functions.{name}]"
        entry = _function_entry(raw)
        if name not in taken:
            problems.append(f"{where} names no function in 'required'")
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table (signature, aliases) or a signature")
            continue
        unknown = set(entry) - FUNCTION_KEYS
        if unknown:
            problems.append(f"{where} has unknown key(s): {', '.join(sorted(unknown))}")
        if "signature" in entry:
            try:
                parse(entry["signature"], name)
            except ValueError as error:
                problems.append(f"{where}: {error}")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.isidentifier() for a in aliases):
            problems.append(f"{where} aliases must be a list of function names")
            continue
        for alias in aliases:
            if alias in taken:
                problems.append(f"{where}: the alias {alias} is already a required function or another's alias")
            taken.add(alias)


def _check_tests(config: dict[str, Any], defined: set[str] | None, problems: list[str]) -> None:
    """The [tests] tables; `defined` is None when a test file cannot be read (its names are unknown)."""
    tests = config.get("tests")
    if not isinstance(tests, dict) or not tests:
        problems.append("[tests] must list at least one test with its points")
        return
    for key, entry in tests.items():
        where = f'[tests."{key}"]'
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table")
            continue
        unknown = set(entry) - TEST_KEYS
        if unknown:
            problems.append(f"{where} has unknown key(s): {', '.join(sorted(unknown))}")
        points = entry.get("points", 0)
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            problems.append(f"{where} points must be a number >= 0")
        if entry.get("visibility", "visible") not in VISIBILITIES:
            problems.append(f"{where} visibility must be one of {', '.join(VISIBILITIES)}")
        if "timeout_s" in entry and not _positive_number(entry["timeout_s"]):
            problems.append(f"{where} timeout_s must be a positive number")
        if defined is not None and key.split("[", 1)[0] not in defined:
            problems.append(f"{where} names no test function in tests/test_*.py")


def validate(path: Path | str) -> list[str]:
    """Every problem with the suite folder at `path`, in plain words; [] when it is usable."""
    root = Path(path)
    toml_path = root / "suite.toml"
    if not toml_path.is_file():
        return [f"no suite.toml in {root.name or root}"]
    try:
        config = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return [f"suite.toml is not valid TOML: {error}"]
    problems: list[str] = []
    _check_config(config, problems)
    tests_dir = root / "tests"
    if not tests_dir.is_dir() or not any(tests_dir.glob("test_*.py")):
        problems.append("tests/ must contain at least one test_*.py file")
    for folder in ("tests", "public_data", "hidden_data"):
        for item in (root / folder).rglob("*") if (root / folder).is_dir() else ():
            if item.is_symlink():
                problems.append(f"{item.relative_to(root)} is a symbolic link")
    unreadable = syntax_errors(tests_dir) if tests_dir.is_dir() else []
    problems += unreadable
    # The tests of an unreadable file are unknown: "names no test function" for each would only mislead.
    defined = None if unreadable else (_test_functions(tests_dir) if tests_dir.is_dir() else set())
    _check_tests(config, defined, problems)
    if tests_dir.is_dir():
        problems += _xfail_uses(tests_dir)
    return problems


def load_suite(path: Path | str) -> Suite:
    """The suite at `path`; raises SuiteError naming every problem."""
    root = Path(path).resolve()
    problems = validate(root)
    if problems:
        raise SuiteError(problems)
    config = tomllib.loads((root / "suite.toml").read_text(encoding="utf-8"))
    limits = dict(config.get("limits", {}))
    functions = {}
    for name, raw in config.get("functions", {}).items():
        entry = _function_entry(raw)
        signature = parse(entry["signature"], name) if "signature" in entry else None
        functions[name] = FunctionSpec(name, signature, tuple(entry.get("aliases", ())))
    return Suite(
        root=root,
        name=config["name"],
        assignment=config["assignment"],
        queue=config.get("queue", "cpu"),
        required=tuple(config["required"]),
        sandbox_limits={k: v for k, v in limits.items() if k in SANDBOX_LIMITS},
        per_test_timeout_s=float(limits.get("per_test_timeout_s", JUDGE_LIMITS["per_test_timeout_s"])),
        import_timeout_s=float(limits.get("import_timeout_s", JUDGE_LIMITS["import_timeout_s"])),
        tests={
            key: TestSpec(
                points=float(entry.get("points", 0)),
                visibility=entry.get("visibility", "visible"),
                timeout_s=entry.get("timeout_s"),
            )
            for key, entry in config["tests"].items()
        },
        runtime=config.get("runtime", runtimes.default_for(config.get("queue", "cpu"))),
        functions=functions,
    )
