"""Which DAG run did it: claim events name the DAG and task ('dag:<dag_id>.<task_id>') and the
time; the run is the one of that DAG that was running then (Airflow's metadata database).

Used only to build links into Airflow's UI; when the metadata is not there (pruned runs, a
test without Airflow's database) the link goes to the DAG instead. Never raises into a page.
"""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)
_warned = False


def find_runs(wanted: list[tuple[str, datetime]]) -> dict[tuple[str, datetime], str]:
    """{(dag_id, at): run_id} for the runs that were running at each time."""
    if not wanted:
        return {}
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import or_, select

        found: dict[tuple[str, datetime], str] = {}
        with create_session() as session:
            for dag_id in {d for d, _ in wanted}:
                times = [t for d, t in wanted if d == dag_id]
                lo, hi = min(times), max(times)
                runs = session.execute(
                    select(DagRun.run_id, DagRun.start_date, DagRun.end_date)
                    .where(DagRun.dag_id == dag_id, DagRun.start_date <= hi,
                           or_(DagRun.end_date.is_(None), DagRun.end_date >= lo))
                    .order_by(DagRun.start_date.desc()).limit(500)).all()
                for at in times:
                    for run_id, start, end in runs:
                        if start <= at and (end is None or at <= end):
                            found[(dag_id, at)] = run_id
                            break
        return found
    except Exception as exc:   # links are a convenience; the page must render without them
        global _warned
        (log.debug if _warned else log.warning)("billing ui: DAG runs not looked up (%s)", type(exc).__name__)
        _warned = True
        return {}


def attach_run_ids(rows: list[dict], at_key: str) -> None:
    """Fill row['run_id'] from Airflow's runs where the event itself did not carry one."""
    wanted = [(r["dag_id"], r[at_key]) for r in rows if r.get("dag_id") and not r.get("run_id") and r.get(at_key)]
    runs = find_runs(wanted)
    for r in rows:
        if r.get("dag_id") and not r.get("run_id"):
            r["run_id"] = runs.get((r["dag_id"], r.get(at_key)))
