"""Every DAG imports cleanly and follows the house rules; new DAGs cannot dodge them.

Also: no DAG file touches the database or the network at import time (the DagBag is
filled with every socket connection refused).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))


UNREACHABLE = {
    # every connection points nowhere while the DagBag fills: a DAG file that touches the database
    # (libpq does not go through Python's socket module) or a server at import time fails to import
    "AIRFLOW_CONN_BILLING_DB": "postgresql://nobody@127.0.0.1:1/nothing",
    "AIRFLOW_CONN_CLEARINGHOUSE_SFTP": "sftp://nobody@127.0.0.1:1",
    "AIRFLOW_CONN_ELIGIBILITY_API": "http://127.0.0.1:1",
    "AIRFLOW_CONN_BILLING_SMTP": "smtp://127.0.0.1:1",
    "BILLING_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing",
}


@pytest.fixture(scope="module")
def dagbag(airflow_home):
    import os

    from airflow.dag_processing.dagbag import DagBag

    saved = {key: os.environ.get(key) for key in UNREACHABLE}
    os.environ.update(UNREACHABLE)

    real_connect = socket.socket.connect
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise ConnectionRefusedError(f"network access at DAG import time: {address}")

    socket.socket.connect = refuse
    try:
        bag = DagBag(dag_folder=str(DAGS_DIR))
    finally:
        socket.socket.connect = real_connect
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    bag.network_attempts = attempts
    return bag


def test_dag_folder_has_dags():
    assert DAG_FILES, "dags/ holds no DAG files"


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}, dagbag.import_errors


def test_no_network_or_database_work_at_import(dagbag):
    assert dagbag.network_attempts == []


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_each_file_defines_a_dag(dagbag, path):
    assert any(d.fileloc == str(path) for d in dagbag.dags.values()), f"{path.name} defines no DAG"


def _dags(dagbag):
    return sorted(dagbag.dags.values(), key=lambda d: d.dag_id)


def test_policy(dagbag):
    problems = []
    for dag in _dags(dagbag):
        if not dag.tags:
            problems.append(f"{dag.dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag.dag_id}: no doc_md")
        if dag.catchup:
            problems.append(f"{dag.dag_id}: catchup must be False")
        for t in dag.tasks:
            if (t.retries or 0) < 2:
                problems.append(f"{dag.dag_id}.{t.task_id}: retries {t.retries} < 2")
            if t.execution_timeout is None or t.execution_timeout.total_seconds() <= 0:
                problems.append(f"{dag.dag_id}.{t.task_id}: no execution_timeout")
    assert problems == []


# --- Assets: one module defines them, every outlet has a consumer ----------------------------

def _asset_uris(condition) -> set[str]:
    from include.assets import uris_of

    return uris_of(condition)


def outlet_problems(dags, no_consumer: dict[str, str], emitted_outside: dict[str, str]) -> list[str]:
    """Outlets no DAG schedules on (and no documented reason), and schedules on assets nobody emits."""
    consumed = set().union(*(_asset_uris(getattr(d.timetable, "asset_condition", None)) for d in dags))
    produced = {o.uri: f"{d.dag_id}.{t.task_id}" for d in dags for t in d.tasks
                for o in t.outlets or [] if getattr(o, "uri", None)}
    problems = [f"{where}: outlet {uri} has no consumer and no reason in include.assets.NO_CONSUMER"
                for uri, where in sorted(produced.items()) if uri not in consumed and uri not in no_consumer]
    problems += [f"a DAG waits for {uri}, which no task emits" for uri in sorted(consumed)
                 if uri not in produced and uri not in emitted_outside]
    return problems


def test_every_outlet_has_a_consumer(dagbag):
    from include import assets

    assert outlet_problems(_dags(dagbag), assets.NO_CONSUMER, assets.EMITTED_OUTSIDE_TASKS) == []


def test_the_outlet_check_reports_an_outlet_nobody_consumes(dagbag):
    """The check above can fail: a DAG with an outlet no schedule names is reported."""
    import datetime as dt

    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, Asset

    from include import assets

    with DAG("orphan_outlet", schedule=None, start_date=dt.datetime(2026, 1, 1)) as orphan:
        EmptyOperator(task_id="make", outlets=[Asset("billing://nobody/listens")])
    problems = outlet_problems([*_dags(dagbag), orphan], assets.NO_CONSUMER, assets.EMITTED_OUTSIDE_TASKS)
    assert problems == ["orphan_outlet.make: outlet billing://nobody/listens has no consumer and no reason "
                        "in include.assets.NO_CONSUMER"]
    documented = {"billing://nobody/listens": "read by people in the Assets view"}
    assert outlet_problems([*_dags(dagbag), orphan], documented, assets.EMITTED_OUTSIDE_TASKS) == []


def test_every_outlet_is_an_emit_task(dagbag):
    """Outlets sit on the emit_* tasks that skip when nothing changed, never on the work itself."""
    for dag in _dags(dagbag):
        for t in dag.tasks:
            if t.outlets:
                assert t.task_id.startswith("emit_"), f"{dag.dag_id}.{t.task_id} emits its event unconditionally"


def test_asset_uris_are_defined_once():
    """No DAG file restates an Asset URI: they import them from include/assets.py."""
    import re

    for path in DAG_FILES:
        text = path.read_text()
        assert not re.search(r"Asset\(\s*['\"]", text), f"{path.name} defines an Asset inline"
        assert "billing://" not in text.replace("`billing://", ""), f"{path.name} restates an asset URI"


def test_claims_submission_runs_on_routed_denials_and_released_corrections(dagbag):
    from include import assets

    condition = dagbag.dags["claims_submission"].timetable.asset_condition
    assert _asset_uris(condition) == {assets.DENIALS_ROUTED.uri, assets.CORRECTIONS_RELEASED.uri}


# --- XCom: ids and counts, never a filesystem path -------------------------------------------

def test_tasks_run_with_the_path_refusing_xcom_backend():
    from airflow.sdk.execution_time.xcom import resolve_xcom_backend

    from include.xcom_guard import PathRefusingXCom

    assert resolve_xcom_backend() is PathRefusingXCom


def test_the_xcom_backend_refuses_paths_and_keeps_counts(tmp_path):
    from pathlib import Path

    import pytest

    from include.xcom_guard import PathRefusingXCom, find_paths

    counts = {"claims_submitted": 12, "file_name": "837P_0001.x12", "run_id": "manual__2026-12-01T05:00:00+00:00",
              "by_reason": {"DQ_MEMBER_ID": 2}, "ratio": "3/4", "artefacts": {"report.html": 7}}
    assert find_paths(counts) == []
    assert PathRefusingXCom.serialize_value(counts, key="return_value") is not None
    (tmp_path / "state.json").write_text("{}")
    for value, where in [({"state": str(tmp_path / "state.json")}, "$.state"),
                         ({"manifest": Path("out/manifest.json")}, "$.manifest"),
                         ([{"files": ["file:///srv/reports/a.csv"]}], "$[0].files[0]"),
                         ("/opt/airflow/.run/appeals/appeal-claim1-item2.html", "$")]:
        assert find_paths(value) == [where]
        with pytest.raises(ValueError, match="filesystem path"):
            PathRefusingXCom.serialize_value(value, key="return_value", task_id="t", dag_id="d")


def test_a_task_returning_a_path_fails_its_run(airflow_home, tmp_path, monkeypatch):
    """The backend is what runs the DAGs' tasks: a task returning a path fails, its run with it."""
    import importlib.util
    import json

    report = tmp_path / "report.html"
    report.write_text("<html></html>")
    dag_file = tmp_path / "returns_a_path.py"
    dag_file.write_text(f"""
import datetime as dt
from airflow.sdk import dag, task

@dag(dag_id="returns_a_path", schedule=None, start_date=dt.datetime(2026, 1, 1))
def returns_a_path():
    @task(retries=0)
    def render() -> str:
        return {str(report)!r}

    @task(retries=0)
    def count() -> dict:
        return {{"files": 1}}

    render()
    count()

the_dag = returns_a_path()
""")
    # dag.test() serializes the DAG from a configured bundle: this folder is one, next to dags/
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps([
        {"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
         "kwargs": {"path": str(DAGS_DIR)}},
        {"name": "xcom-path-test", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
         "kwargs": {"path": str(tmp_path)}}]))
    spec = importlib.util.spec_from_file_location("returns_a_path_dagfile", dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.the_dag.test()
    states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}
    assert states == {"render": "failed", "count": "success"}
