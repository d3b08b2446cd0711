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
