"""Benchmark (not a test): how much a ~49 MB code upload adds to the real server process's peak memory.

Starts gunicorn (one sync worker) on 127.0.0.1 with a temporary SQLite database and media folder, loads the demo
course, signs in as a demo student through the API, warms the worker up with a small submission, resets the
worker's peak-RSS counter (/proc/<pid>/clear_refs), uploads a zip of 49 MB of incompressible data plus a PDF
through HTTP, and prints how far the worker's peak RSS (VmHWM) rose above its RSS before the upload.
Target: under 20 MB (uploads stream to temporary files; hashing and zip checks read in chunks).

    .venv/bin/python bench/upload_memory.py [--mb 49]
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
PASSWORD = "bench-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def proc_status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for pid {pid}")


def worker_pid(master: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def multipart_body(path: Path, parts: list[tuple[str, Path, str]]) -> str:
    """Write a multipart/form-data body to `path` without holding the files in memory; returns the boundary."""
    boundary = uuid.uuid4().hex
    with path.open("wb") as out:
        for field, file, content_type in parts:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{file.name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            with file.open("rb") as handle:
                while chunk := handle.read(MB):
                    out.write(chunk)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
    return boundary


def request(
    port: int, method: str, url: str, body: IO[bytes] | bytes | str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(method, url, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, {"raw": data[:500].decode(errors="replace")}


def submit(port: int, token: str, work: Path, code: Path, report: Path) -> tuple[int, dict[str, Any], float]:
    body = work / f"body-{code.stem}.bin"
    boundary = multipart_body(body, [("code", code, "application/zip"), ("report", report, "application/pdf")])
    started = time.monotonic()
    with body.open("rb") as handle:
        status, data = request(
            port,
            "POST",
            "/api/courses/DD2424/assignments/1/submissions/",
            body=handle,
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(body.stat().st_size),
            },
        )
    elapsed = time.monotonic() - started
    body.unlink()
    return status, data, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=49, help="megabytes of incompressible data in the zip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)
        env |= {
            "COURSESITE_VAR_DIR": str(work / "var"),
            "MEDIA_ROOT": str(work / "media"),
            "DEBUG": "1",
            "DEMO_PASSWORD": PASSWORD,
            "LOG_LEVEL": "WARNING",
        }
        (work / "var" / "broker" / "queue").mkdir(parents=True)
        (work / "var" / "broker" / "processed").mkdir(parents=True)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True)
        subprocess.run(
            [python, "manage.py", "load_demo_course"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL
        )

        small = work / "small.zip"
        with zipfile.ZipFile(small, "w") as archive:
            archive.writestr("a1/main.py", "print('warm-up')\n")
        big = work / "big.zip"
        with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("a1/main.py", "import numpy as np\n")
            with archive.open("a1/weights.bin", "w") as out:
                for _ in range(args.mb):
                    out.write(os.urandom(MB))
        report = work / "report.pdf"
        sys.path.insert(0, str(REPO))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
        from coursesite.uploads import minimal_pdf  # the repo is on sys.path only now

        report.write_bytes(minimal_pdf("Benchmark report"))

        port = free_port()
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "coursesite.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "300"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "server.log").open("w"),
        )
        try:
            pid = worker_pid(server.pid)
            deadline = time.monotonic() + 60
            while True:
                try:
                    status, data = request(
                        port,
                        "POST",
                        "/api/token/",
                        body=json.dumps({"username": "student01", "password": PASSWORD}),
                        headers={"Content-Type": "application/json"},
                    )
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            if status != 200:
                print("could not sign in:", status, data)
                return 1
            token = data["token"]
            status, data, _ = submit(port, token, work, small, report)
            if status != 201:
                print("warm-up submission failed:", status, data)
                return 1
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
            before = proc_status_kb(pid, "VmRSS")
            status, data, elapsed = submit(port, token, work, big, report)
            peak = proc_status_kb(pid, "VmHWM")
            if status != 201:
                print("upload failed:", status, data)
                return 1
        finally:
            server.terminate()
            server.wait(timeout=30)
        added = (peak - before) / 1024
        size = big.stat().st_size / MB
        print(f"code upload: {size:.1f} MB zip + {report.stat().st_size / 1024:.1f} KB PDF in {elapsed:.1f} s")
        print(f"server worker RSS before: {before / 1024:.1f} MB, peak during upload: {peak / 1024:.1f} MB")
        print(f"added to peak memory: {added:.1f} MB (target < 20 MB) -> {'OK' if added < 20 else 'TOO MUCH'}")
        return 0 if added < 20 else 2


if __name__ == "__main__":
    sys.exit(main())
