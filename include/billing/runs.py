"""Which Airflow task try did it: a plain value the DAG glue hands the domain.

`RunRef` is built by include.dag_support from the task's context (the domain never imports
Airflow) and bound to the ledger connection with `bind_run`: PostgreSQL session settings
`billing.dag_id`, `billing.task_id`, `billing.run_id`, `billing.try_number`,
`billing.map_index`. The run columns of claim events, work items, EDI files and artefacts
default to them (migration 0016), so every row a task writes names its run, try and map index.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SETTINGS = ("dag_id", "task_id", "run_id", "try_number", "map_index")


@dataclass(frozen=True)
class RunRef:
    dag_id: str
    task_id: str
    run_id: str
    try_number: int
    map_index: int = -1

    def to_dict(self) -> dict:
        return asdict(self)


def bind_run(conn, run: RunRef | None) -> None:
    """Name `run` on the connection for the rest of its session (committed at once, so a later
    rollback of the caller's work does not undo it). None clears it."""
    values = run.to_dict() if run else dict.fromkeys(SETTINGS, "")
    conn.execute("SELECT set_config('billing.dag_id', %s, false), set_config('billing.task_id', %s, false), "
                 "set_config('billing.run_id', %s, false), set_config('billing.try_number', %s, false), "
                 "set_config('billing.map_index', %s, false)",
                 tuple("" if values[k] is None else str(values[k]) for k in SETTINGS))
    conn.commit()


def bound_run(conn) -> RunRef | None:
    """The run bound to this connection, or None."""
    row = conn.execute("SELECT billing.run_setting('dag_id'), billing.run_setting('task_id'), "
                       "billing.run_setting('run_id'), billing.run_setting('try_number'), "
                       "billing.run_setting('map_index')").fetchone()
    if not row or not row[2]:
        return None
    return RunRef(row[0], row[1], row[2], int(row[3]), int(row[4] if row[4] is not None else -1))
