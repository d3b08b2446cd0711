"""include.billing.ledger.work: the one writer of work items opens, updates, assigns and closes
them (set-based, with the resolution and the actor), and leaves closed items as they are."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.ledger import (
    WorkItem,
    assign_work_item,
    close_work_item,
    close_work_items,
    open_work_items,
    update_work_item,
    work_item_id,
)


@pytest.fixture
def conn(db_url):
    from tests.unit.ui.ledger import build_ledger

    with psycopg.connect(db_url) as c:
        ledger = build_ledger(c)
        c.commit()
        c.claims = ledger.claims
        yield c


def _item(conn, item_id):
    return conn.execute("SELECT state, resolved_by, resolved_at IS NOT NULL, assignee, details "
                        "FROM billing.work_queue WHERE id = %s", (item_id,)).fetchone()


def _open(conn, claim, reason, key=None):
    open_work_items(conn, [WorkItem(conn.claims[claim], "test", reason, "a finding", {"n": 1}, key=key)])
    return work_item_id(conn, key or f"{reason}:claim:{conn.claims[claim]}")


def test_close_by_id_key_and_claim_in_one_call_and_never_twice(conn):
    a, b = _open(conn, "dq", "T_A"), _open(conn, "dq", "T_B")
    c = _open(conn, "denied", "T_C", key="remit:x:1")
    other = _open(conn, "denied", "T_D")
    closed = close_work_items(conn, resolution="resolved", actor="user:ann", ids=[a],
                              dedupe_keys=["remit:x:1"], claim_ids=[conn.claims["dq"]])
    assert set(closed) >= {a, b, c} and other not in closed
    assert _item(conn, a)[:3] == ("resolved", "user:ann", True)
    assert _item(conn, other)[0] == "open"
    # closed items stay as they were: a second close (even as a write-off) changes nothing
    assert close_work_items(conn, resolution="written_off", actor="user:bob", ids=[a, c]) == []
    assert _item(conn, c)[:2] == ("resolved", "user:ann")
    assert close_work_item(conn, other, resolution="written_off", actor="dag:d.t")
    assert _item(conn, other)[:2] == ("written_off", "dag:d.t")
    assert close_work_items(conn, resolution="resolved", actor="x") == []
    with pytest.raises(ValueError):
        close_work_items(conn, resolution="deleted", actor="x", ids=[a])


def test_assign_and_unassign_only_open_items(conn):
    item = _open(conn, "dq", "T_E")
    assert assign_work_item(conn, item, "ann")
    assert _item(conn, item)[0] == "in_progress" and _item(conn, item)[3] == "ann"
    assert assign_work_item(conn, item, None)
    assert _item(conn, item)[0] == "open" and _item(conn, item)[3] is None
    close_work_item(conn, item, resolution="resolved", actor="user:ann")
    assert not assign_work_item(conn, item, "bob")
    assert _item(conn, item)[3] is None


def test_update_merges_details_at_the_top_or_under_a_key(conn):
    item = _open(conn, "dq", "T_F")
    assert update_work_item(conn, item, {"answer": {"files": ["a.html"]}})
    assert update_work_item(conn, item, {"pdf_failed": True}, merge_into="answer")
    assert _item(conn, item)[4] == {"n": 1, "answer": {"files": ["a.html"], "pdf_failed": True}}
    assert not update_work_item(conn, 10**9, {"x": 1})
