"""The one transition table (include.billing.ledger.moves.TRANSITIONS), row by row, and the two
ways claims move (set_status one by one, move_claims in bulk) both obey it."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.ledger import move_claims, set_status
from include.billing.ledger.moves import STATUSES, TRANSITIONS, may_move

# The specification the table must meet: the revenue cycle's order (equal ranks are alternatives
# at the same stage); a move forward, or to an alternative, is allowed; a move back only when it
# is one of the deliberate restarts.
CYCLE = {"new": 0, "held": 10, "ready": 20, "submitted": 30, "crossed_over": 35, "rejected": 40,
         "acknowledged": 40, "accepted": 50, "pending": 55, "denied": 70, "partially_paid": 70, "paid": 70,
         "reversed": 80, "replaced": 90, "voided": 90, "written_off": 90, "closed": 95}
RESTARTS = {("held", "ready"), ("rejected", "ready"), ("rejected", "held"), ("reversed", "paid"),
            ("reversed", "partially_paid"), ("reversed", "denied")}


def test_the_table_has_a_row_for_every_status_and_names_no_other():
    assert set(STATUSES) == set(CYCLE)
    assert all(to <= set(CYCLE) for to in TRANSITIONS.values())


@pytest.mark.parametrize("current", list(CYCLE))
def test_row(current):
    expected = {new for new in CYCLE
                if new != current and (CYCLE[new] >= CYCLE[current] or (current, new) in RESTARTS)}
    assert set(TRANSITIONS[current]) == expected
    assert {new for new in CYCLE if may_move(current, new)} == expected


@pytest.mark.parametrize("current, new, allowed", [
    ("paid", "submitted", False),       # a late 999 does not undo a payment
    ("accepted", "acknowledged", False),  # nor a 999 that arrives after the 277CA
    ("rejected", "ready", True),        # a person fixed the claim
    ("reversed", "paid", True),         # the payer re-adjudicated after taking the payment back
    ("closed", "paid", False),
    ("paid", "paid", False),            # not a move
])
def test_the_moves_that_matter_most(current, new, allowed):
    assert may_move(current, new) is allowed


def test_an_unknown_status_is_an_error():
    with pytest.raises(KeyError):
        may_move("new", "lost")


@pytest.fixture
def conn(db_url):
    from tests.unit.ui.ledger import build_ledger

    with psycopg.connect(db_url) as c:
        c.claim = build_ledger(c).claims["dq"]
        c.execute("UPDATE billing.claims SET status = 'paid' WHERE id = %s", (c.claim,))
        c.commit()
        yield c


def test_set_status_refuses_a_move_the_table_refuses_and_records_why(conn):
    assert not set_status(conn, conn.claim, "submitted", actor="t", event_type="ack_999")
    row = conn.execute("""SELECT c.status, e.event_type, e.from_status, e.to_status, e.ignored, e.base_event_type
                          FROM billing.claims c JOIN billing.claim_events e ON e.claim_id = c.id WHERE c.id = %s
                          ORDER BY e.id DESC LIMIT 1""", (conn.claim,)).fetchone()
    # the refusal is a column queries read (migration 0019), with what the file said
    assert row == ("paid", "ack_999_ignored", "paid", "paid", True, "ack_999")
    assert set_status(conn, conn.claim, "reversed", actor="t", event_type="reversal")
    assert conn.execute("""SELECT ignored, base_event_type FROM billing.claim_events WHERE claim_id = %s
                           ORDER BY id DESC LIMIT 1""", (conn.claim,)).fetchone() == (False, "reversal")


def test_move_claims_refuses_a_move_the_table_refuses(conn):
    with pytest.raises(ValueError):
        move_claims(conn, [conn.claim], from_status="paid", to_status="submitted", actor="t",
                    event_type="x", dedupe_prefix="x")
    assert move_claims(conn, [conn.claim], from_status="paid", to_status="closed", actor="t",
                       event_type="closed", dedupe_prefix="closed") == [conn.claim]
