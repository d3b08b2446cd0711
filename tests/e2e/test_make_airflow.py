"""`make airflow`: the UI lists every DAG with no import errors, and a triggered claims_submission succeeds.

Starts what `make airflow` starts (include.devenv.airflow_local) in a private run folder and
asks the API server, as a signed-in user would through the UI.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]


def _request(port: int, method: str, path: str, token: str | None = None, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def local_airflow(tmp_path, monkeypatch):
    from include.devenv import airflow_local
    from include.devenv.stack import free_port

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("BILLING_DATABASE_URL", raising=False)
    # the airflow_home fixture's settings must not leak into standalone's environment
    for key in list(os.environ):
        if key.startswith("AIRFLOW__") or key == "AIRFLOW_HOME":
            monkeypatch.delenv(key)
    port = free_port()
    stack, standalone = airflow_local.start_local_airflow(port, password="test-password", visits=60)
    try:
        airflow_local.wait_for_api(port, timeout=300)
        yield port
    finally:
        airflow_local.stop_standalone(standalone, grace=30)
        stack.stop()
        from include.devenv.postgres import stop_private_server

        stop_private_server()


def test_ui_lists_every_dag_and_runs_claims_submission(local_airflow):
    port = local_airflow
    token = _request(port, "POST", "/auth/token", body={"username": "admin", "password": "test-password"})[
        "access_token"]

    expected = {p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_")}
    deadline = time.monotonic() + 240
    while True:
        dags = {d["dag_id"] for d in _request(port, "GET", "/api/v2/dags?limit=100", token)["dags"]}
        if expected <= dags or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert expected <= dags
    assert _request(port, "GET", "/api/v2/importErrors", token)["total_entries"] == 0

    _request(port, "PATCH", "/api/v2/dags/claims_submission", token, {"is_paused": False})
    run = _request(port, "POST", "/api/v2/dags/claims_submission/dagRuns", token,
                   {"logical_date": None, "conf": {}})
    run_id = run["dag_run_id"]
    deadline = time.monotonic() + 480
    state = run["state"]
    while state not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(5)
        state = _request(port, "GET", f"/api/v2/dags/claims_submission/dagRuns/{urllib.request.quote(run_id)}",
                         token)["state"]
    assert state == "success"
