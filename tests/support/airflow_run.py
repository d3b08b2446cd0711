"""Run a DAG end to end with `dag.test()` and insist on its final state.

`dag.test()` logs a failed task and returns; the caller must look at the run's state.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from include.devenv.dags import load_dag  # noqa: F401  (re-exported for tests)


def run_dag(dag, *, expect: str = "success", conf: dict | None = None, **kwargs):
    """dag.test() and assert the run ended in `expect`; return the DagRun."""
    dag_run = dag.test(run_conf=conf or {}, **kwargs)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    if state != expect:
        failed = [f"{ti.task_id}[{ti.map_index}]={ti.state}" for ti in dag_run.get_task_instances()
                  if str(ti.state) not in ("success", "skipped", "TaskInstanceState.SUCCESS")]
        raise AssertionError(f"DAG {dag.dag_id} ended {state}, expected {expect}; task states: {failed}")
    return dag_run


@contextmanager
def environment(**values: str):
    """Set environment variables for the block; restore what was there before."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        os.environ.update(values)
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def airflow_connections(**uris: str):
    """Expose Airflow connections to tasks as AIRFLOW_CONN_<ID> environment variables.

    Values are URIs or JSON strings, as Airflow accepts them.
    """
    with environment(**{f"AIRFLOW_CONN_{conn_id.upper()}": value for conn_id, value in uris.items()}):
        yield
