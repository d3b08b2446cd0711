"""The end-to-end tests and the local stack run the DAGs and the UI as the app role (issue 19,
item 8: "the demo and tests use these roles"), not as the owner that ran the migrations.

- A DAG task run with dag.test(), given `billing_db` as the e2e tests give it (the `app_db_url`
  fixture), opens its connection through include.dag_support.billing_connection and asks the
  server who it is.
- The local stack (`make demo`, `make airflow`, tests/e2e/test_billing_ui.py) hands Airflow
  AIRFLOW_CONN_BILLING_DB; connecting with it gives the same answer.
"""

from __future__ import annotations

import json

import psycopg

from include.billing.db import APP_LOGIN, APP_ROLE

WHO = """SELECT current_user, session_user,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                pg_has_role(current_user, %s, 'member'),
                EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname IN ('pm', 'billing') AND pg_get_userbyid(c.relowner) = current_user)"""
APP = [APP_LOGIN, APP_LOGIN, False, True, False]     # the app login, no superuser, in billing_app, owns nothing


PROBE_DAG = """
import json, os
from pathlib import Path

import psycopg
from airflow.sdk import dag, task

from include.dag_support import billing_connection


@dag(dag_id="security_who_am_i", schedule=None, catchup=False)
def who_am_i():
    @task
    def ask():
        with billing_connection() as conn:
            row = conn.execute(WHO, (APP_ROLE,)).fetchone()
            try:      # and the connection cannot switch the audit trail off
                conn.execute("ALTER TABLE billing.claim_events DISABLE TRIGGER claim_events_append_only")
                refused = None
            except psycopg.Error as exc:
                refused = type(exc).__name__
                conn.rollback()
        Path(os.environ["WHO_AM_I_OUT"]).write_text(json.dumps([list(row), refused]))

    ask()


probe = who_am_i()
"""


def test_a_dag_task_in_the_e2e_tests_connects_as_the_app_role(app_db_url, airflow_home, tmp_path, monkeypatch):
    import importlib.util

    from airflow import settings

    from tests.support.airflow_run import airflow_connections, environment, run_dag

    dags = tmp_path / "dags"      # dag.test() serializes the DAG from the dags folder's bundle
    dags.mkdir()
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))     # the dags-folder bundle's path
    path = dags / "security_who_am_i.py"
    path.write_text(f"WHO = {WHO!r}\nAPP_ROLE = {APP_ROLE!r}\n" + PROBE_DAG)
    spec = importlib.util.spec_from_file_location("dagfile_security_who_am_i", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "who.json"
    with airflow_connections(billing_db=app_db_url), environment(WHO_AM_I_OUT=str(out)):
        run_dag(module.probe)
    row, refused = json.loads(out.read_text())
    assert row == APP
    assert refused == "InsufficientPrivilege"


def test_the_local_stack_hands_airflow_the_app_role(db_url, tmp_path):
    from include.devenv.stack import LocalStack

    stack = LocalStack(database_url=db_url, clearinghouse_root=tmp_path, roster_path=tmp_path / "r.json",
                       scenario_path=tmp_path / "s.yaml", sftp_port=1, http_port=2, host_public_key="ssh-ed25519 x",
                       client_key=tmp_path / "k", smtp_port=3, mail_dir=tmp_path, airflow_home=tmp_path)
    url = stack.airflow_env()["AIRFLOW_CONN_BILLING_DB"]
    assert url != db_url
    with psycopg.connect(url) as conn:
        assert list(conn.execute(WHO, (APP_ROLE,)).fetchone()) == APP
