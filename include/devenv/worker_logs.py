"""Task logs of the local Celery workers, read by the api-server from each worker's log server.

On real hosts every worker serves its task logs on the same port (`[logging]
worker_log_server_port`) and the api-server asks `http://<task instance hostname>:<port>/log/…`.
On one machine (include.devenv.celery_local) the workers cannot share a port, so each serves on
a port of its own and the api-server's task handler looks the port up by the worker's name in
`BILLING_WORKER_LOG_PORTS` ({"worker-1": 41234, ...}, on 127.0.0.1). Names not in the map are
asked the usual way.

The api-server uses it through `AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS =
include.devenv.worker_logs.LOGGING_CONFIG`: Airflow's default logging configuration with this
handler as the `task` handler.
"""

from __future__ import annotations

import json
import os
from copy import deepcopy
from urllib.parse import urljoin

from airflow.config_templates.airflow_local_settings import DEFAULT_LOGGING_CONFIG
from airflow.utils.log.file_task_handler import FileTaskHandler

PORTS_ENV = "BILLING_WORKER_LOG_PORTS"


def worker_log_ports() -> dict[str, int]:
    try:
        ports = json.loads(os.environ.get(PORTS_ENV) or "{}")
    except ValueError:
        return {}
    return {str(name): int(port) for name, port in ports.items()} if isinstance(ports, dict) else {}


class LocalWorkersTaskHandler(FileTaskHandler):
    """FileTaskHandler that finds a local worker's log server by the worker's name."""

    def _get_log_retrieval_url(self, ti, log_relative_path, log_type=None):
        url, rel_path = super()._get_log_retrieval_url(ti, log_relative_path, log_type)
        port = worker_log_ports().get(getattr(ti, "hostname", None) or "")
        if url and rel_path and port and not getattr(ti, "triggerer_job", None):
            url = urljoin(f"http://127.0.0.1:{port}/log/", rel_path)
        return url, rel_path


LOGGING_CONFIG = deepcopy(DEFAULT_LOGGING_CONFIG)
LOGGING_CONFIG["handlers"]["task"]["class"] = f"{__name__}.LocalWorkersTaskHandler"
