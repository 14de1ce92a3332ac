"""The sandbox has no network: not TCP, UDP, DNS, nor the host's service sockets."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture
def tcp_listener() -> Iterator[tuple[int, list[object]]]:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(srv.accept())
            except TimeoutError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], accepted
    stop.set()
    t.join()
    srv.close()


def test_it_refuses_tcp_to_a_listener_on_localhost(run_python, tcp_listener) -> None:
    port, accepted = tcp_listener
    out = run_python(f"""
        import socket
        for family, addr in ((socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_INET6, ("::1", {port}))):
            try:
                socket.create_connection(addr[:2], timeout=2)
                print("CONNECTED")
            except OSError as exc:
                print("blocked", type(exc).__name__, exc.errno)
    """)
    assert out.status == "ok", out.stderr
    assert "CONNECTED" not in out.stdout
    assert out.stdout.count("blocked") == 2
    assert accepted == []


def test_it_refuses_udp_to_a_listener_on_localhost(run_python) -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    out = run_python(f"""
        import socket
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"exfiltrated", ("127.0.0.1", {port}))
            print("SENT")
        except OSError as exc:
            print("blocked", exc.errno)
    """)
    try:
        with pytest.raises(TimeoutError):
            srv.recvfrom(100)
    finally:
        srv.close()
    assert out.status == "ok", out.stderr
    assert out.stdout.startswith("blocked")


def test_it_cannot_resolve_names(run_python) -> None:
    out = run_python("""
        import socket
        for name in ("example.com", "localhost", "redis", "postgres"):
            try:
                print("RESOLVED", name, socket.getaddrinfo(name, 80))
            except OSError as exc:
                print("blocked", name, type(exc).__name__)
    """)
    assert out.status == "ok", out.stderr
    assert "RESOLVED" not in out.stdout
    assert out.stdout.count("blocked") == 4


def test_it_cannot_reach_redis_or_postgres_over_tcp_or_their_unix_sockets(run_python) -> None:
    # The services really listen here, so a failure inside means isolation, not absence.
    for port in (6379, 5432):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert os.path.exists("/var/run/postgresql/.s.PGSQL.5432")
    out = run_python("""
        import socket
        for port in (6379, 5432):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2)
                print("CONNECTED", port)
            except OSError as exc:
                print("blocked", port, exc.errno)
        for path in ("/var/run/postgresql/.s.PGSQL.5432", "/run/postgresql/.s.PGSQL.5432",
                     "/var/run/redis/redis.sock", "/run/redis/redis-server.sock", "/tmp/redis.sock"):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                print("CONNECTED", path)
            except OSError as exc:
                print("blocked", path, type(exc).__name__)
    """)
    assert out.status == "ok", out.stderr
    assert "CONNECTED" not in out.stdout
    assert out.stdout.count("blocked") == 7


def test_it_cannot_reach_a_host_unix_socket_by_path_or_in_the_abstract_namespace(run_python, make_dir) -> None:
    # Stands in for a Redis unix socket (this host's Redis has none configured).
    sock_dir = make_dir()
    path = str(sock_dir / "redis.sock")
    abstract = f"\0coursesite-test-{uuid.uuid4().hex}"
    listeners = []
    for addr in (path, abstract):
        s = socket.socket(socket.AF_UNIX)
        s.bind(addr)
        s.listen()
        s.setblocking(False)
        listeners.append(s)
    out = run_python(f"""
        import socket
        for addr in ({path!r}, {abstract!r}):
            try:
                socket.socket(socket.AF_UNIX).connect(addr)
                print("CONNECTED")
            except OSError as exc:
                print("blocked", type(exc).__name__)
    """)
    for s in listeners:
        with pytest.raises(BlockingIOError):
            s.accept()
        s.close()
    assert out.status == "ok", out.stderr
    assert out.stdout.split() == ["blocked", "FileNotFoundError", "blocked", "ConnectionRefusedError"]
