"""Connections and migrations for the PM/ledger database (no Airflow here).

The domain takes a psycopg 3 connection. DAG tasks get one from the Airflow connection
(`include.airflow_support.billing_connection`), tests and CLIs from a URL.
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


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m include.billing.db", description=__doc__)
    parser.add_argument("command", choices=["migrate"])
    parser.add_argument("--url", default=os.environ.get("BILLING_DATABASE_URL"))
    args = parser.parse_args(argv)
    url = args.url
    if not url:
        from include.devenv.postgres import database_url

        url = database_url()
    applied = migrate(url)
    print(f"migrations applied: {len(applied)}" + (f" ({', '.join(applied)})" if applied else " (up to date)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
