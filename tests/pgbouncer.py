"""A PgBouncer of the test's own, in transaction pooling mode, in front of a PostgreSQL.

Debian's ``pgbouncer`` binary, started on a free loopback port with its own ini and auth
file in a temporary folder (never the system service), stopped at the end. Clients log
in without a password (``auth_type = trust``): PgBouncer only passes them on to the
server, which does its own checking. Run as root, it drops to ``nobody`` (PgBouncer
refuses to run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, make_url

BINARY_NAMES = ("pgbouncer", "/usr/sbin/pgbouncer")


def pgbouncer_binary() -> str | None:
    """Where the ``pgbouncer`` program is, or None."""
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def pgbouncer(
    server: str | URL,
    *,
    pool_size: int = 20,
    max_clients: int = 1000,
    log: Path | None = None,
) -> Iterator[URL]:
    """PgBouncer in transaction mode in front of ``server``'s PostgreSQL: ``server``'s URL
    pointed at PgBouncer instead (same database and user). ``pool_size`` server
    connections at most per database and user, ``max_clients`` clients. The same user may
    read PgBouncer's console (database ``pgbouncer``: ``SHOW POOLS``)."""
    binary = pgbouncer_binary()
    if binary is None:
        raise FileNotFoundError("no pgbouncer program (Debian: apt install pgbouncer)")
    url = make_url(server)
    user = url.username or "postgres"
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="kasa-pgbouncer-") as folder:
        place = Path(folder)
        place.chmod(0o755)  # readable by the user PgBouncer drops to
        users = place / "users.txt"
        users.write_text(f'"{user}" ""\n', encoding="utf-8")
        ini = place / "pgbouncer.ini"
        ini.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={url.host or '127.0.0.1'} port={url.port or 5432}",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"admin_users = {user}",
                    f"auth_file = {users}",
                    "pool_mode = transaction",
                    f"default_pool_size = {pool_size}",
                    f"max_client_conn = {max_clients}",
                    "log_connections = 0",
                    "log_disconnections = 0",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        for path in (users, ini):
            path.chmod(0o644)
        command = [binary, str(ini)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]
        with open(log or place / "pgbouncer.log", "ab") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while not _listening(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer did not start: {' '.join(command)}")
                time.sleep(0.05)
            yield url.set(host="127.0.0.1", port=port)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
