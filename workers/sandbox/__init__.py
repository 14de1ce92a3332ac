"""Runs untrusted student code in a bubblewrap sandbox with its own uid, limits and no network."""

from .host import check_host
from .job import Job, run, spawn
from .limits import Limits, Outcome, SandboxUnavailable

__all__ = ["Job", "Limits", "Outcome", "SandboxUnavailable", "check_host", "run", "spawn"]
