"""Load a DAG from the project's dags/ folder by id (for the demo and the benchmarks)."""

from __future__ import annotations

import importlib.util

from include.devenv.paths import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"


def load_dag(dag_id: str, file_name: str | None = None):
    path = DAGS_DIR / (file_name or f"{dag_id}.py")
    spec = importlib.util.spec_from_file_location(f"dagfile_{dag_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if getattr(value, "dag_id", None) == dag_id and hasattr(value, "test"):
            return value
    raise LookupError(f"{path} defines no DAG {dag_id!r}")
