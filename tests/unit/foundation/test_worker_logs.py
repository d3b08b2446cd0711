"""The api-server finds a local Celery worker's log server by the worker's name (include.devenv.worker_logs)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from include.devenv.worker_logs import LOGGING_CONFIG, LocalWorkersTaskHandler

REL = "dag_id=claims_submission/run_id=manual__1/task_id=send_batch/map_index=0/attempt=1.log"


def test_a_named_worker_is_asked_on_its_own_port(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_WORKER_LOG_PORTS", json.dumps({"worker-1": 41001, "worker-2": 41002}))
    handler = LocalWorkersTaskHandler(base_log_folder=str(tmp_path))
    ti = SimpleNamespace(hostname="worker-2", triggerer_job=None)
    assert handler._get_log_retrieval_url(ti, REL) == (f"http://127.0.0.1:41002/log/{REL}", REL)


def test_other_hosts_are_asked_the_usual_way(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_WORKER_LOG_PORTS", json.dumps({"worker-1": 41001}))
    monkeypatch.setenv("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "8793")
    handler = LocalWorkersTaskHandler(base_log_folder=str(tmp_path))
    url, rel = handler._get_log_retrieval_url(SimpleNamespace(hostname="host-b", triggerer_job=None), REL)
    assert (url, rel) == (f"http://host-b:8793/log/{REL}", REL)
    assert handler._get_log_retrieval_url(SimpleNamespace(hostname=None, triggerer_job=None), REL) == (None, None)


def test_the_logging_config_uses_it_for_task_logs():
    assert LOGGING_CONFIG["handlers"]["task"]["class"] == "include.devenv.worker_logs.LocalWorkersTaskHandler"
