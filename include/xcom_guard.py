"""An XCom backend that refuses filesystem paths: tasks hand each other ids and counts only.

On the CeleryExecutor the next task runs on another worker, whose disk does not have the
file; artefacts go to the artefact store (include.billing.artefacts) and XCom carries their
ids. Configured as `AIRFLOW__CORE__XCOM_BACKEND=include.xcom_guard.PathRefusingXCom` by the
tests, `make airflow` and docker-compose.yaml. A task that returns a path fails with a
ValueError naming where in its value the path is (not the path itself: it may name a patient's file).
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from airflow.sdk.bases.xcom import BaseXCom


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096 or not text:
        return False
    if text.startswith("file:"):
        return True
    if os.path.isabs(text) and text.count("/") >= 2:
        return True                      # /tmp/x, /opt/airflow/.run/reports/…
    if ("/" in text or text.startswith(".")) and os.path.exists(text):
        return True                      # a relative path that names something on this disk
    return False


def find_paths(value: Any, where: str = "$") -> list[str]:
    """Where in `value` (a JSON-path-like location) a filesystem path is held."""
    if isinstance(value, PurePath):
        return [where]
    if isinstance(value, str):
        return [where] if _looks_like_path(value) else []
    if isinstance(value, dict):
        found = []
        for k, v in value.items():
            found += find_paths(k, f"{where}.<key>") if isinstance(k, (str, PurePath)) else []
            found += find_paths(v, f"{where}.{k}")
        return found
    if isinstance(value, (list, tuple, set, frozenset)):
        return [w for i, v in enumerate(value) for w in find_paths(v, f"{where}[{i}]")]
    return []


class PathRefusingXCom(BaseXCom):
    """BaseXCom that raises on a value holding a filesystem path."""

    @staticmethod
    def serialize_value(value, *, key=None, task_id=None, dag_id=None, run_id=None, map_index=None):
        found = find_paths(value)
        if found:
            raise ValueError(f"XCom {key!r} of {dag_id}.{task_id} holds a filesystem path at {', '.join(found[:5])}: "
                             "store the file in the artefact store and pass its id")
        return BaseXCom.serialize_value(value, key=key, task_id=task_id, dag_id=dag_id, run_id=run_id,
                                        map_index=map_index)
