"""`make airflow`: the UI lists every DAG with no import errors, and a triggered claims_submission succeeds.

Starts what `make airflow` starts (include.devenv.airflow_local) in a private run folder and
asks the API server, as a signed-in user would through the UI.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.local_airflow import api, run_claims_submission, sign_in

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]


def test_ui_lists_every_dag_and_runs_claims_submission(local_airflow):
    port, _ = local_airflow
    token = sign_in(port)

    expected = {p.stem for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_")}
    deadline = time.monotonic() + 240
    while True:
        dags = {d["dag_id"] for d in api(port, "GET", "/api/v2/dags?limit=100", token)["dags"]}
        if expected <= dags or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert expected <= dags
    assert api(port, "GET", "/api/v2/importErrors", token)["total_entries"] == 0

    run_claims_submission(port, token)
