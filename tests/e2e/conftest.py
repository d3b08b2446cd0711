"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import json
import os

import psycopg
import pytest


@pytest.fixture
def practice(db_url, tmp_path, request):
    """A seeded practice (visits: the indirect parameter, default 80, 5 % dirty) and its roster JSON."""
    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice

    visits = getattr(request, "param", 80)
    with psycopg.connect(db_url) as conn:
        seed_practice(conn, visits=visits, seed=20261127, dirty_share=0.05)
        conn.commit()
        roster = tmp_path / "roster.json"
        export_roster(conn, roster)
    return {"db_url": db_url, "roster": roster}


@pytest.fixture
def eligibility_api(practice):
    """The sandbox's real-time 270/271 endpoint for the practice's payers; yields the Airflow connection JSON."""
    from include.sandbox.eligibility import serve_eligibility_http
    from include.sandbox.roster import Roster

    srv = serve_eligibility_http(Roster.load(practice["roster"]), user="billing", password="s3cret")
    host, port = srv.server_address[:2]
    yield json.dumps({"conn_type": "http", "host": host, "port": port, "login": "billing", "password": "s3cret"})
    srv.shutdown()


@pytest.fixture
def local_airflow(tmp_path, monkeypatch):
    """What `make airflow` starts — PostgreSQL, the sandbox clearinghouse, the mail sink and
    `airflow standalone` (its own process group) — in a private run folder. Yields (port, stack);
    sign in with tests.support.local_airflow.PASSWORD."""
    from include.devenv import airflow_local
    from include.devenv.postgres import stop_private_server
    from include.devenv.stack import free_port
    from tests.support.local_airflow import PASSWORD

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    for key in list(os.environ):   # the test session's Airflow settings must not leak into standalone
        if key.startswith("AIRFLOW__") or key == "AIRFLOW_HOME" or key.startswith("AIRFLOW_CONN_"):
            monkeypatch.delenv(key)
    port = free_port()
    stack, standalone = airflow_local.start_local_airflow(port, password=PASSWORD, visits=60)
    try:
        airflow_local.wait_for_api(port, timeout=300)
        yield port, stack
    finally:
        airflow_local.stop_standalone(standalone, grace=30)
        stack.stop()
        stop_private_server()
