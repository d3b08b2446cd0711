"""Traceable runs: rows a task writes name its dag, task, run, try and map index (migration 0016)."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.ledger import store_file
from include.billing.runs import RunRef, bind_run, bound_run

RUN = RunRef(dag_id="clearinghouse_responses", task_id="fetch_files", run_id="manual__2026-12-01T05:00:00+00:00",
             try_number=2)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url) as c:
        yield c


def _run_columns(conn, table, row_id):
    return conn.execute(f"SELECT dag_id, task_id, run_id, try_number, map_index FROM billing.{table} "
                        "WHERE id = %s", (row_id,)).fetchone()


def test_a_bound_run_is_written_into_every_row_and_survives_a_rollback(conn):
    bind_run(conn, RUN)
    conn.execute("SELECT 1")
    conn.rollback()                               # the caller's failed work does not unbind the run
    assert bound_run(conn) == RUN
    file_id = store_file(conn, direction="in", transaction_type="999", file_name="999_1.x12",
                         content=b"ISA*00*~", origin="sftp:outbound/999_1.x12", partner="sandbox").id
    item_id = conn.execute("""INSERT INTO billing.work_queue (edi_file_id, source, reason_code, explanation, dedupe_key)
                              VALUES (%s, '999', 'ACK999_REJECTED', 'test', 'run-trace-1') RETURNING id""",
                           (file_id,)).fetchone()[0]
    artefact_id = conn.execute("""INSERT INTO billing.artefacts (kind, name, content, size_bytes, sha256)
                                  VALUES ('dq_results', 'x.json', '\\x7b7d', 2, 'ab') RETURNING id""").fetchone()[0]
    conn.commit()
    expected = (RUN.dag_id, RUN.task_id, RUN.run_id, 2, -1)
    assert _run_columns(conn, "edi_files", file_id) == expected
    assert _run_columns(conn, "work_queue", item_id) == expected
    assert _run_columns(conn, "artefacts", artefact_id) == expected


def test_claim_events_record_the_mapped_task_try(conn, db_url):
    from include.billing.status import set_status

    mapped = RunRef("claims_submission", "send_batch", "scheduled__2026-12-01T05:15:00+00:00", 1, map_index=3)
    from tests.unit.ui.ledger import build_ledger

    ledger = build_ledger(conn)
    conn.commit()
    claim = ledger.claims["dq"]
    bind_run(conn, mapped)
    conn.execute("UPDATE billing.claims SET status = 'ready' WHERE id = %s", (claim,))
    assert set_status(conn, claim, "submitted", actor="dag:claims_submission.send_batch", event_type="submitted")
    conn.commit()
    row = conn.execute("""SELECT actor, dag_id, task_id, run_id, try_number, map_index FROM billing.claim_events
                          WHERE claim_id = %s ORDER BY id DESC LIMIT 1""", (claim,)).fetchone()
    assert row == ("dag:claims_submission.send_batch", "claims_submission", "send_batch",
                   "scheduled__2026-12-01T05:15:00+00:00", 1, 3)


def test_without_a_run_rows_name_none(conn):
    bind_run(conn, RUN)
    bind_run(conn, None)                          # a person's action on the same connection
    assert bound_run(conn) is None
    file_id = store_file(conn, direction="in", transaction_type="999", file_name="999_2.x12",
                         content=b"ISA*01*~", origin="upload", partner="sandbox").id
    conn.commit()
    assert _run_columns(conn, "edi_files", file_id) == (None, None, None, None, None)
