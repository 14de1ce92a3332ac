"""The grading runtimes a suite may name (`runtime = "..."` in suite.toml): the Pythons its judge and its
students' code run in. No Django here: the judge, the sandbox's check and the worker all read it.

Built in: `python3.12` (the default: numpy, scipy, scikit-learn, matplotlib, pytest; `make runtime` builds it in
.runtimes/python3.12) and `torch` (Debian's Python 3.11 with torch, in .runtime: for torch and GPU suites).
`COURSESITE_RUNTIMES="name=/path/to/bin/python,..."` adds runtimes or moves the built-in ones;
`COURSESITE_RUNTIME_PYTHON` (the one setting there was before) still names the default runtime's Python.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT = "python3.12"
TORCH = "torch"
RUNTIMES_ENV = "COURSESITE_RUNTIMES"
DEFAULT_PYTHON_ENV = "COURSESITE_RUNTIME_PYTHON"
BUILT_IN = {
    DEFAULT: REPO_ROOT / ".runtimes" / "python3.12" / "bin" / "python",
    TORCH: REPO_ROOT / ".runtime" / "bin" / "python",
}
# The packages a runtime's page and check name (the rest are their dependencies).
NOTABLE_PACKAGES = ("numpy", "scipy", "scikit-learn", "matplotlib", "pandas", "torch", "torchvision", "pytest")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")


class RuntimeConfigError(ValueError):
    """COURSESITE_RUNTIMES is unusable; the message says why."""


def pythons() -> dict[str, str]:
    """Every runtime this site has, name -> its Python on this host (which may not exist here)."""
    found = {name: str(path) for name, path in BUILT_IN.items()}
    if os.environ.get(DEFAULT_PYTHON_ENV):
        found[DEFAULT] = os.environ[DEFAULT_PYTHON_ENV]
    for entry in filter(None, (part.strip() for part in os.environ.get(RUNTIMES_ENV, "").split(","))):
        name, _, python = entry.partition("=")
        name, python = name.strip(), python.strip()
        if not _NAME.match(name) or not python.startswith("/"):
            raise RuntimeConfigError(
                f"{RUNTIMES_ENV}: {entry!r} is not NAME=/absolute/path/to/bin/python (names: letters, digits, . _ + -)"
            )
        found[name] = python
    return found


def names() -> list[str]:
    return sorted(pythons())


def default_for(queue: str) -> str:
    """A suite that names no runtime: the default one, or the torch one for a GPU suite (what needs a GPU here
    is torch)."""
    return TORCH if queue == "gpu" else DEFAULT


def python_for(name: str) -> str:
    """The Python of runtime `name`; KeyError for a runtime this site does not have."""
    return pythons()[name]


_DESCRIBE = """
import importlib.metadata as m, json, sys
wanted = set(sys.argv[1:])
packages = {}
for dist in m.distributions():
    name = (dist.metadata["Name"] or "").lower()
    if name in wanted:
        packages[name] = dist.version
print(json.dumps({"python": sys.version.split()[0], "packages": packages}))
"""


@functools.cache
def _describe(python: str, stamp: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [python, "-I", "-c", _DESCRIBE, *NOTABLE_PACKAGES],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        info = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        info = None
    if not isinstance(info, dict):
        return {"ok": False, "problem": f"{python} does not run"}
    ordered = {name: info["packages"][name] for name in NOTABLE_PACKAGES if name in info.get("packages", {})}
    return {"ok": True, "python_version": str(info.get("python", "")), "packages": ordered}


def describe(name: str) -> dict[str, Any]:
    """Runtime `name` as this host has it: its Python, that Python's version and its notable packages
    (asked of the runtime itself, once per process and build)."""
    try:
        python = python_for(name)
    except (KeyError, RuntimeConfigError) as error:
        return {"name": name, "python": None, "ok": False, "problem": f"no runtime {name!r} on this site ({error})"}
    try:
        stamp = Path(python).resolve().stat().st_mtime
    except OSError:
        return {"name": name, "python": python, "ok": False, "problem": f"{python} is not installed on this host"}
    return {"name": name, "python": python, **_describe(python, stamp)}


def syntax_pythons(exclude: str) -> list[str]:
    """The other runtimes' Pythons (resolved, existing): the judge asks them whether a file it cannot parse is
    newer Python."""
    own = os.path.realpath(exclude)
    found = []
    for python in pythons().values():
        real = os.path.realpath(python)
        if real != own and os.path.exists(real) and python not in found:
            found.append(python)
    return found
