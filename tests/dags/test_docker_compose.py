"""docker-compose.yaml cannot be started here (no Docker engine): test what can be tested of it.

It parses, names every service of the Airflow 3.3 Celery stack plus the product's own, and
wires every connection the DAGs use, with the clearinghouse's host key checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from include import dag_support

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ["airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def _env(service) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_every_service_is_there(compose):
    expected = {*AIRFLOW_SERVICES, "airflow-init", "redis", "airflow-metadata", "billing-db", "clearinghouse",
                "mailpit"}
    assert expected <= set(compose["services"])


def test_airflow_runs_celery_with_one_shared_jwt_secret(compose):
    secrets = set()
    for name in AIRFLOW_SERVICES:
        env = _env(compose["services"][name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"], name
        secrets.add(env["AIRFLOW__API_AUTH__JWT_SECRET"])
    assert len(secrets) == 1


def test_include_is_mounted_and_importable(compose):
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service = compose["services"][name]
        assert any(v.startswith("./include:/opt/airflow/include") for v in service["volumes"]), name
        assert any(v.startswith("./dags:/opt/airflow/dags") for v in service["volumes"]), name
        assert _env(service)["PYTHONPATH"] == "/opt/airflow", name


def test_every_connection_the_dags_use_is_wired(compose):
    conn_ids = [dag_support.BILLING_DB_CONN_ID, dag_support.CLEARINGHOUSE_SFTP_CONN_ID,
                dag_support.ELIGIBILITY_API_CONN_ID, dag_support.BILLING_SMTP_CONN_ID]
    used_in_dags = "\n".join(p.read_text() for p in (ROOT / "dags").glob("*.py"))
    for name in AIRFLOW_SERVICES:
        env = _env(compose["services"][name])
        for conn_id in conn_ids:
            assert f"AIRFLOW_CONN_{conn_id.upper()}" in env, (name, conn_id)
    # a DAG must not name a connection id that compose doesn't provide
    for token in ("postgres_conn_id=\"", "ssh_conn_id=\"", "sftp_conn_id=\"", "smtp_conn_id=\""):
        assert token not in used_in_dags, f"DAGs should use include.dag_support ids, found {token}"


def test_connections_point_at_the_services(compose):
    env = _env(compose["services"]["airflow-worker"])
    services = compose["services"]
    sftp = json.loads(env["AIRFLOW_CONN_CLEARINGHOUSE_SFTP"])
    assert sftp["host"] == "clearinghouse" and sftp["conn_type"] == "sftp"
    assert str(sftp.get("extra", {}).get("no_host_key_check", "false")).lower() == "false"
    assert str(sftp["port"]) in services["clearinghouse"]["command"]
    # the worker trusts exactly the key the clearinghouse-keys job wrote
    assert any(v.endswith(":/home/airflow/.ssh:ro") for v in services["airflow-worker"]["volumes"])
    smtp = json.loads(env["AIRFLOW_CONN_BILLING_SMTP"])
    assert smtp["host"] == "mailpit"
    assert env["AIRFLOW_CONN_BILLING_DB"].split("@", 1)[1].startswith("billing-db:5432/")
    eligibility = json.loads(env["AIRFLOW_CONN_ELIGIBILITY_API"])
    assert eligibility["host"] == "clearinghouse" and str(eligibility["port"]) in services["clearinghouse"]["command"]


def test_dockerfile_installs_the_pinned_requirements():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "apache/airflow:3.3" in dockerfile and "requirements.txt" in dockerfile


def test_celery_provider_is_pinned_for_the_image():
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert pins["apache-airflow-providers-celery"]
    assert pins["apache-airflow"].startswith("3.3.")


def test_flower_is_behind_a_profile_and_workers_autoscale(compose):
    flower = compose["services"]["flower"]
    assert flower["profiles"] == ["flower"] and flower["command"] == "celery flower"
    assert all(p.startswith("127.0.0.1:") for p in flower["ports"])
    worker = _env(compose["services"]["airflow-worker"])
    high, low = (int(x) for x in worker["AIRFLOW__CELERY__WORKER_AUTOSCALE"].split(":-")[-1].rstrip("}").split(","))
    assert high >= low >= 1
    assert worker["AIRFLOW__CORE__XCOM_BACKEND"] == "include.xcom_guard.PathRefusingXCom"
