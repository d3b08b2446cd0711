"""What every DAG file shares: connection ids, default arguments, a ledger connection.

This is the only module under `include/` besides the DAGs' own glue that imports Airflow;
the domain (`include.billing`, `include.edi`) never does. Imports of Airflow happen inside
functions so that importing this module costs nothing at DAG-parse time.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

# Connection ids, documented in the README. Override with environment variables.
BILLING_DB_CONN_ID = os.environ.get("BILLING_DB_CONN_ID", "billing_db")
CLEARINGHOUSE_SFTP_CONN_ID = os.environ.get("CLEARINGHOUSE_SFTP_CONN_ID", "clearinghouse_sftp")
ELIGIBILITY_API_CONN_ID = os.environ.get("ELIGIBILITY_API_CONN_ID", "eligibility_api")
BILLING_SMTP_CONN_ID = os.environ.get("BILLING_SMTP_CONN_ID", "billing_smtp")
STATEMENT_VENDOR_SFTP_CONN_ID = os.environ.get("STATEMENT_VENDOR_SFTP_CONN_ID", "statement_vendor")

# Every task has a time limit (a hung SFTP read or a runaway parse must not hold a worker slot
# forever); BILLING_TASK_TIMEOUT_MINUTES sets it for all DAGs, 60 minutes by default.
TASK_TIMEOUT = timedelta(minutes=int(os.environ.get("BILLING_TASK_TIMEOUT_MINUTES") or 60))

DEFAULT_ARGS = {
    "owner": "revenue-cycle",
    "execution_timeout": TASK_TIMEOUT,
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


@contextmanager
def billing_connection():
    """A psycopg 3 connection to the PM/ledger database from the `billing_db` connection.

    Commits when the block succeeds, rolls back when it raises; always closes. Inside a task
    the connection names the task's run (include.billing.runs.bind_run): every claim event,
    work item, EDI file and artefact written through it records dag_id, task_id, run_id,
    try_number and map_index.
    """
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    conn = PostgresHook(postgres_conn_id=BILLING_DB_CONN_ID).get_conn()
    try:
        _name_the_actor(conn)
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def _name_the_actor(conn) -> None:
    """Tell the database which task try is changing things: billing.change_log's actor, and the run
    columns (dag, task, run, try, map index) of claim events, work items, files and artefacts."""
    from airflow.sdk import get_current_context

    from include.billing.clock import set_clock
    from include.billing.rcm_sql import query
    from include.billing.runs import bind_run

    try:
        context = get_current_context()
        who, run = actor(context), context.get("run_id")
    except Exception:  # noqa: BLE001 - outside a task there is no task to name
        return
    # outside any transaction: the connection is handed over idle, as before, and no commit
    # happens here (the task's own first commit stays its first)
    autocommit = conn.autocommit
    conn.autocommit = True
    try:
        conn.execute(query("workqueue", "set_actor"), {"actor": who, "run": run, "is_local": False})
        bind_run(conn, run_ref(context))       # the run columns of every row this task writes
        # the run's clock: rows this task writes carry its day (where the database allows an offset)
        # anchored at the run's start, so billing.clock() runs on from the run's clock as the run goes
        set_clock(conn, run_clock(context), getattr(context.get("dag_run"), "start_date", None))
    finally:
        conn.autocommit = autocommit


def run_ref(context):
    """The task try of `context` as the domain's plain value (include.billing.runs.RunRef)."""
    from include.billing.runs import RunRef

    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    return RunRef(dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id, try_number=int(ti.try_number or 1),
                  map_index=-1 if map_index is None else int(map_index))


def current_run():
    """The RunRef of the task running in this process, or None outside a task."""
    try:
        from airflow.sdk import get_current_context

        return run_ref(get_current_context())
    except Exception:  # noqa: BLE001 - outside a task (a script, the UI) there is no run to name
        return None


def actor(context) -> str:
    """Who changed a claim, for claim events: the DAG and task that did it (the run itself is
    recorded in the event's run columns, see `billing_connection`)."""
    ti = context["ti"]
    return f"dag:{ti.dag_id}.{ti.task_id}"


def changed_counts(counts, keys: tuple[str, ...]) -> dict[str, int]:
    """The `keys` summed over a task's counts: one dict, or a mapped task's sequence of dicts.

    Only whole numbers count; anything else (a nested dict, a text) is left out.
    """
    if counts is None:
        rows = []
    elif isinstance(counts, dict):
        rows = [counts]
    else:
        rows = [c for c in counts if isinstance(c, dict)]
    return {k: sum(int(r[k]) for r in rows if isinstance(r.get(k), int) and not isinstance(r.get(k), bool))
            for k in keys}


def emit_task(asset, *, keys: tuple[str, ...], task_id: str):
    """A task that records `asset`'s event only when the upstream counts show a change.

    Its arguments are the XCom counts of the tasks that did the work. When every one of
    `keys` sums to 0 it is skipped, and a skipped task emits no asset event (Airflow records
    outlet events for successful tasks only), so consumers do not run for nothing. Otherwise
    the event's extra holds the counts.
    """
    from airflow.sdk import task

    @task(task_id=task_id, outlets=[asset], multiple_outputs=False)
    def emit(*counts) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowSkipException

        totals: dict[str, int] = {k: 0 for k in keys}
        for one in counts:
            for k, v in changed_counts(one, keys).items():
                totals[k] += v
        if not any(totals.values()):
            raise AirflowSkipException(f"nothing changed ({', '.join(keys)} all 0): no {asset.uri} event")
        get_current_context()["outlet_events"][asset].extra = totals
        return totals

    return emit


@contextmanager
def clearinghouse_files():
    """The clearinghouse mailbox (include.billing.transport.RemoteFiles) through Airflow's SFTPHook.

    The connection checks the server's host key. A refused connection, a failed login or an
    unknown host key become one clear TransportError, and the task retries.
    """
    from airflow.providers.sftp.hooks.sftp import SFTPHook
    from airflow.sdk import BaseHook

    from include.billing.transport import SftpFiles, TransportError, check_sftp_extras, max_read_bytes

    check_sftp_extras(BaseHook.get_connection(CLEARINGHOUSE_SFTP_CONN_ID).extra_dejson, CLEARINGHOUSE_SFTP_CONN_ID)
    # connection attempts inside one try (the task's own retries come on top)
    attempts = int(os.environ.get("BILLING_SFTP_CONNECT_ATTEMPTS", "3"))
    hook = SFTPHook(ssh_conn_id=CLEARINGHOUSE_SFTP_CONN_ID, conn_retry_attempts=attempts)
    try:
        ctx = hook.get_managed_conn()
        client = ctx.__enter__()
    except Exception as exc:  # noqa: BLE001 - any failure to connect gets the same clear message
        raise TransportError(f"cannot open SFTP connection {CLEARINGHOUSE_SFTP_CONN_ID!r}: "
                             f"{exc.__class__.__name__}: {exc}") from None
    try:
        yield SftpFiles(client, max_read_bytes=max_read_bytes())
    finally:
        ctx.__exit__(None, None, None)


def run_clock(context):
    """The run's one clock, the same for every task of the run and for the ledger (billing.clock()):
    the run's `as_of` param (a timestamp; a date alone is the end of that day, the moment a day's
    report runs; no time zone is UTC), else the run's data interval end (the moment its schedule
    fired), else its start."""
    import datetime as dt

    raw = (context.get("params") or {}).get("as_of")
    if raw:
        value = dt.datetime.fromisoformat(raw)
        if len(raw) == 10:                      # a day: it is over when the run looks at it
            value += dt.timedelta(days=1)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    dag_run = context.get("dag_run")
    return (context.get("data_interval_end") or getattr(dag_run, "run_after", None)
            or getattr(dag_run, "start_date", None) or dt.datetime.now(dt.UTC))


def as_of_param(what: str = "the run's clock"):
    """The `as_of` param every DAG takes: the run's clock (run_clock), for the demo's simulated days."""
    from airflow.sdk import Param

    return Param(None, type=["null", "string"],
                 description=f"ISO timestamp used as {what} (simulated clock); default: the data interval end")


def schedule(setting: str, default_cron: str, *, assets=None, default_from: str | None = None):
    """The one way a DAG's schedule is made: the cron in environment variable `setting`, else
    `default_cron` (itself built from `default_from`, when named), on UTC wall time; with
    `assets`, the DAG also runs when any of them gets an event. A value that is not a cron
    expression stops the DAG file at import with an error naming the variable, which the UI
    shows as the DAG's import error: a billing DAG silently on the wrong schedule is worse."""
    from airflow.timetables.trigger import CronTriggerTimetable
    from croniter import croniter

    cron = os.environ.get(setting) or default_cron
    if not croniter.is_valid(cron):
        named = setting if os.environ.get(setting) else f"{setting} is unset and {default_from or 'its default'}"
        raise ValueError(f"{named} gives {cron!r}, which is not a cron expression")
    timetable = CronTriggerTimetable(cron, timezone="UTC")
    if assets is None:
        return timetable
    from airflow.timetables.assets import AssetOrTimeSchedule

    return AssetOrTimeSchedule(timetable=timetable, assets=assets)

@contextmanager
def sftp_files(conn_id: str):
    """Any SFTP connection as include.billing.transport.RemoteFiles (host key checked by the hook),
    e.g. the statement vendor's; failures to connect become one TransportError."""
    from airflow.providers.sftp.hooks.sftp import SFTPHook

    from include.billing.transport import SftpFiles, TransportError

    attempts = int(os.environ.get("BILLING_SFTP_CONNECT_ATTEMPTS", "3"))
    hook = SFTPHook(ssh_conn_id=conn_id, conn_retry_attempts=attempts)
    try:
        ctx = hook.get_managed_conn()
        client = ctx.__enter__()
    except Exception as exc:  # noqa: BLE001 - any failure to connect gets the same clear message
        raise TransportError(f"cannot open SFTP connection {conn_id!r}: {exc.__class__.__name__}: {exc}") from None
    try:
        yield SftpFiles(client)
    finally:
        ctx.__exit__(None, None, None)
