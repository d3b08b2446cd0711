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

    Commits when the block succeeds, rolls back when it raises; always closes.
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
    """Tell the database which task is changing things (billing.change_log's actor)."""
    from airflow.sdk import get_current_context

    from include.billing.rcm_sql import query

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
    finally:
        conn.autocommit = autocommit


def actor(context) -> str:
    """Who changed a claim, for claim events: the DAG and task that did it."""
    ti = context["ti"]
    return f"dag:{ti.dag_id}.{ti.task_id}"


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


def run_clock(params: dict | None, context):
    """The run's 'now': the `as_of` param (the demo's simulated clock) or the run's start (UTC)."""
    import datetime as dt

    raw = (params or {}).get("as_of")
    if raw:
        value = dt.datetime.fromisoformat(raw)
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return context["dag_run"].start_date or dt.datetime.now(dt.UTC)


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
