"""Command line: `python -m workers.sandbox run --json ... -- CMD` and `... check`."""

from __future__ import annotations

import argparse
import json
import sys

from .host import check_host
from .job import run
from .limits import Limits, SandboxUnavailable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workers.sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run COMMAND in the sandbox and print its outcome as JSON")
    d = Limits()
    r.add_argument("--json", action="store_true", help="print one JSON object (the only format)")
    r.add_argument("--cpu", type=float, default=d.cpu_s, metavar="SECONDS")
    r.add_argument("--wall", type=float, default=d.wall_s, metavar="SECONDS")
    r.add_argument("--memory", type=int, default=d.memory_mb, metavar="MB")
    r.add_argument("--procs", type=int, default=d.procs, metavar="N")
    r.add_argument("--files", type=int, default=d.files, metavar="N")
    r.add_argument("--fsize", type=int, default=d.fsize_mb, metavar="MB")
    r.add_argument("--output", type=int, default=d.output_kb, metavar="KB")
    r.add_argument("--tmpfs", type=int, default=d.tmpfs_mb, metavar="MB", help="/tmp and /dev/shm, each")
    r.add_argument("--work", type=int, default=d.work_mb, metavar="MB", help="room in /work beside its files")
    r.add_argument("--work-files", type=int, default=d.work_files, metavar="N", help="files in /work, /tmp, /dev/shm")
    r.add_argument("--ro", action="append", default=[], metavar="PATH", help="bind PATH read-only (repeatable)")
    r.add_argument("--gpu", type=int, default=None, metavar="INDEX")
    r.add_argument("--workdir", required=True, metavar="DIR")
    r.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARG...]")
    sub.add_parser("check", help="print the isolation this host offers; non-zero exit if the minimum is missing")
    return parser


def main(args: list[str] | None = None) -> int:
    ns = _parser().parse_args(args)
    if ns.command == "check":
        info = check_host()
        print(json.dumps(info, indent=2))
        return 0 if info["ok"] else 1
    argv = ns.argv[1:] if ns.argv[:1] == ["--"] else ns.argv
    if not argv:
        print("missing COMMAND after --", file=sys.stderr)
        return 2
    limits = Limits(
        cpu_s=ns.cpu,
        wall_s=ns.wall,
        memory_mb=ns.memory,
        procs=ns.procs,
        files=ns.files,
        fsize_mb=ns.fsize,
        output_kb=ns.output,
        tmpfs_mb=ns.tmpfs,
        work_mb=ns.work,
        work_files=ns.work_files,
    )
    try:
        outcome = run(argv, workdir=ns.workdir, readonly=ns.ro, limits=limits, gpu=ns.gpu)
    except SandboxUnavailable as exc:
        print(f"sandbox unavailable: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(outcome.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
