"""Both ways of naming the database work: BILLING_DATABASE_URL, or a private server in the run folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[3]


def _run(args, **env):
    full_env = {k: v for k, v in os.environ.items() if k != "BILLING_DATABASE_URL"}
    full_env.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=180)


def test_private_server_starts_in_its_own_run_folder_and_is_reused(tmp_path):
    run = tmp_path / "run"
    first = _run(["-m", "include.devenv.postgres", "url"], BILLING_RUN_DIR=str(run))
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    try:
        assert (run / "pg" / "data" / "PG_VERSION").exists()
        second = _run(["-m", "include.devenv.postgres", "url"], BILLING_RUN_DIR=str(run))
        assert second.stdout.strip() == url          # reused, not a second server
        migrated = _run(["-m", "include.devenv.postgres", "migrate"], BILLING_RUN_DIR=str(run))
        assert "migrations applied: 2" in migrated.stdout or "migrations applied" in migrated.stdout, migrated.stderr
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM information_schema.schemata "
                                "WHERE schema_name IN ('pm', 'billing')").fetchone()[0] == 2
    finally:
        stopped = _run(["-m", "include.devenv.postgres", "stop"], BILLING_RUN_DIR=str(run))
        assert stopped.returncode == 0, stopped.stderr
    assert not (run / "pg" / "data" / "postmaster.pid").exists()


def test_configured_database_is_used_as_is(db_url, tmp_path):
    # with the variable set, no private server is started and the named database is migrated
    run = tmp_path / "run"
    url = _run(["-m", "include.devenv.postgres", "url"], BILLING_DATABASE_URL=db_url, BILLING_RUN_DIR=str(run))
    assert url.stdout.strip() == db_url
    assert not (run / "pg").exists()
    migrated = _run(["-m", "include.billing.db", "migrate"], BILLING_DATABASE_URL=db_url, BILLING_RUN_DIR=str(run))
    assert migrated.returncode == 0 and "up to date" in migrated.stdout, migrated.stderr


def test_the_domain_cli_never_starts_a_server(tmp_path):
    # the no-URL dev path lives in include.devenv; include.billing.db asks for a database instead
    run = tmp_path / "run"
    refused = _run(["-m", "include.billing.db", "migrate"], BILLING_RUN_DIR=str(run))
    assert refused.returncode != 0 and "BILLING_DATABASE_URL" in refused.stderr
    assert not (run / "pg").exists()
