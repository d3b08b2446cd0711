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

DEFAULT_ARGS = {
    "owner": "revenue-cycle",
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
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def actor(context) -> str:
    """Who changed a claim, for claim events: the DAG and task that did it."""
    ti = context["ti"]
    return f"dag:{ti.dag_id}.{ti.task_id}"
