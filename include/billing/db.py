"""Connections and migrations for the PM/ledger database (no Airflow here).

The domain takes a psycopg 3 connection. DAG tasks get one from the Airflow connection
(`include.dag_support.billing_connection`), tests and CLIs from a URL. This module never starts a
database: the local private server is include.devenv.postgres (`python -m include.devenv.postgres migrate`).
"""

from __future__ import annotations

from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "sql" / "migrations"


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, **kwargs)


def _yoyo_uri(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}://{rest}"


def migrate(url: str) -> list[str]:
    """Apply pending migrations (yoyo keeps what ran in `_yoyo_migration`); return their ids.

    Re-runnable: applying twice applies nothing the second time.
    """
    from yoyo import get_backend, read_migrations

    backend = get_backend(_yoyo_uri(url))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    try:
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()
    return [m.id for m in pending]


APP_ROLE = "billing_app"          # made by migration 0011: DML only, no DDL, append-only audit tables
APP_LOGIN = "billing_app_login"


def ensure_app_login(owner_url: str, login: str = APP_LOGIN, password: str | None = None) -> str:
    """Create (or update) `login`, a member of billing_app and nothing more; return its URL.

    Run by the owner (the login that applied the migrations). The URL is `owner_url` with the
    user (and password, when given) replaced: what the DAGs' and the UI's `billing_db` uses.
    """
    from urllib.parse import quote, urlsplit, urlunsplit

    from psycopg import sql

    with psycopg.connect(owner_url, autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass                                   # made earlier (or by a parallel session just now)
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT")
                     .format(sql.Identifier(login)))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(login), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), sql.Identifier(login)))
    parts = urlsplit(owner_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    user = quote(login, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m include.billing.db", description=__doc__)
    parser.add_argument("command", choices=["migrate", "app-login"])
    parser.add_argument("--url", default=os.environ.get("BILLING_DATABASE_URL"))
    parser.add_argument("--login", default=APP_LOGIN, help="app-login: the role to create")
    parser.add_argument("--password-env", default="BILLING_APP_DB_PASSWORD",
                        help="app-login: the variable holding its password")
    args = parser.parse_args(argv)
    url = args.url
    if not url:
        parser.error("name the database: --url or BILLING_DATABASE_URL "
                     "(the local private server: python -m include.devenv.postgres migrate)")
    if args.command == "app-login":
        ensure_app_login(url, args.login, os.environ.get(args.password_env) or None)
        print(f"login {args.login} is a member of {APP_ROLE}")
        return 0
    applied = migrate(url)
    print(f"migrations applied: {len(applied)}" + (f" ({', '.join(applied)})" if applied else " (up to date)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
