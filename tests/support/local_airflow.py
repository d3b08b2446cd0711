"""Talking to `airflow standalone` as `make airflow` starts it: the REST API and a triggered run."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "e2e-test-password"


def api(port: int, method: str, path: str, token: str | None = None, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def sign_in(port: int, password: str = PASSWORD) -> str:
    """A token for the local admin, as the UI's login form gets one."""
    return api(port, "POST", "/auth/token", body={"username": "admin", "password": password})["access_token"]


def run_claims_submission(port: int, token: str) -> None:
    """Unpause and trigger claims_submission through the API; wait for the run to succeed."""
    deadline = time.monotonic() + 240
    while True:       # the dag-processor must have parsed the DAG
        try:
            api(port, "PATCH", "/api/v2/dags/claims_submission", token, {"is_paused": False})
            break
        except urllib.error.HTTPError:
            assert time.monotonic() < deadline, "claims_submission never appeared"
            time.sleep(3)
    run = api(port, "POST", "/api/v2/dags/claims_submission/dagRuns", token, {"logical_date": None, "conf": {}})
    path = f"/api/v2/dags/claims_submission/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
    deadline = time.monotonic() + 480
    state = run["state"]
    while state not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(5)
        state = api(port, "GET", path, token)["state"]
    assert state == "success", f"claims_submission run {run['dag_run_id']} ended {state}"
