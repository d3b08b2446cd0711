"""include.billing.ledger.record_event(s): the one writer of claim events, with from/to status,
actor and run."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.ledger import Event, record_event, record_events
from include.billing.runs import RunRef, bind_run

RUN = RunRef("clearinghouse_responses", "apply_277", "manual__2026-12-01T05:00:00+00:00", 1)
OTHER = RunRef("denial_management", "route", "scheduled__2026-12-01T06:00:00+00:00", 3, map_index=2)


@pytest.fixture
def conn(db_url):
    from tests.unit.ui.ledger import build_ledger

    with psycopg.connect(db_url) as c:
        ledger = build_ledger(c)
        c.commit()
        c.claim = ledger.claims["dq"]
        yield c


def _event(conn, event_id):
    return conn.execute("""SELECT event_type, from_status, to_status, actor, source_file_id, detail, run_id,
                                  try_number, map_index FROM billing.claim_events WHERE id = %s""",
                        (event_id,)).fetchone()


def test_an_event_that_changes_no_status_records_the_claims_status_as_both(conn):
    status = conn.execute("SELECT status FROM billing.claims WHERE id = %s", (conn.claim,)).fetchone()[0]
    bind_run(conn, RUN)
    event_id = record_event(conn, conn.claim, "status_277", actor="dag:x.y", detail={"category": "A1"})
    assert _event(conn, event_id) == ("status_277", status, status, "dag:x.y", None, {"category": "A1"},
                                      RUN.run_id, 1, -1)


def test_explicit_statuses_and_an_explicit_run_win_over_the_bound_run(conn):
    bind_run(conn, RUN)
    event_id = record_event(conn, conn.claim, "created", actor="user:ann", from_status=None, to_status="new",
                            run=OTHER)
    assert _event(conn, event_id)[:3] == ("created", None, "new")
    assert _event(conn, event_id)[6:] == (OTHER.run_id, 3, 2)


def test_a_dedupe_key_makes_the_second_write_a_no_op_and_a_missing_claim_writes_nothing(conn):
    first = record_event(conn, conn.claim, "status_inquiry", actor="t", dedupe_key="inq:1")
    assert first is not None
    assert record_event(conn, conn.claim, "status_inquiry", actor="t", dedupe_key="inq:1") is None
    assert record_event(conn, 10**12, "status_inquiry", actor="t") is None
    assert conn.execute("SELECT count(*) FROM billing.claim_events WHERE dedupe_key = 'inq:1'").fetchone()[0] == 1


def test_many_events_are_written_in_the_order_given(conn):
    rows = record_events(conn, [Event(conn.claim, "a", "new", "held", {"n": 1}, "k:a"),
                                Event(conn.claim, "b", "held", "ready", None, "k:b"),
                                Event(conn.claim, "a", "new", "held", {"n": 1}, "k:a")],   # a replay in the batch
                         actor="t", source_file_id=None)
    assert [(r.event_type, r.dedupe_key) for r in rows] == [("a", "k:a"), ("b", "k:b")]
    assert rows[0].id < rows[1].id
