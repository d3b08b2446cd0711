"""Posting survives real failures: a database connection dropped by the server mid-transaction,
a posting process killed with SIGKILL, a truncated 835, an 835 with wrong counts and the same 835
twice. After a re-run the ledger equals the ledger of an uninterrupted run, to the row.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from include.billing import posting
from include.billing.rcm_sql import query
from tests.support.faults import Fault, FaultyConnection
from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, snapshot, store

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _practice_with_835s(conn) -> list[bytes]:
    claims = seed_practice(conn, 30, lines=2)
    clps = [paid_clp(c, deductible=Decimal("10.00") if i % 3 == 0 else Decimal(0)) for i, c in enumerate(claims)]
    # three payment runs in two files: a crash in the second run tests partial progress
    first = file_835([remittance(clps[:10], trace="T1"), remittance(clps[10:20], trace="T2")])
    second = file_835([remittance(clps[20:], trace="T3")])
    return [first, second]


def _comparable(conn) -> dict:
    """The ledger without surrogate ids and clocks: what must be equal after a recovery."""
    rows = {}
    rows["claims"] = conn.execute("SELECT claim_number, status FROM billing.claims ORDER BY 1").fetchall()
    rows["payments"] = conn.execute(
        """SELECT c.claim_number, r.trace_number, cp.status_code, cp.paid, cp.patient_responsibility
             FROM billing.claim_payments cp JOIN billing.claims c ON c.id = cp.claim_id
             JOIN billing.remittances r ON r.id = cp.remittance_id ORDER BY 1, 2""").fetchall()
    rows["adjustments"] = conn.execute(
        """SELECT c.claim_number, a.group_code, a.reason_code, sum(a.amount), count(*)
             FROM billing.adjustments a JOIN billing.claim_payments cp ON cp.id = a.claim_payment_id
             JOIN billing.claims c ON c.id = cp.claim_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""").fetchall()
    rows["patient_ledger"] = conn.execute(
        """SELECT c.claim_number, l.entry_type, l.category, l.amount FROM billing.patient_ledger l
             JOIN billing.claims c ON c.id = l.claim_id ORDER BY 1, 2, 3""").fetchall()
    rows["events"] = conn.execute(
        """SELECT c.claim_number, e.event_type, e.from_status, e.to_status FROM billing.claim_events e
             JOIN billing.claims c ON c.id = e.claim_id ORDER BY 1, e.id""").fetchall()
    rows["remittances"] = conn.execute(
        "SELECT trace_number, payment_amount, state FROM billing.remittances ORDER BY 1").fetchall()
    rows["files"] = conn.execute("SELECT sha256, state FROM billing.edi_files ORDER BY 1").fetchall()
    return rows


@pytest.fixture
def uninterrupted(db_url, pg_admin_url):
    """The ledger after posting the same files with nothing going wrong."""
    with psycopg.connect(db_url) as conn:
        files = _practice_with_835s(conn)
        for n, data in enumerate(files):
            store(conn, f"run{n}.835", data)
        posting.post_stored_remittances(conn, actor="test")
        expected = _comparable(conn)
        conn.execute("TRUNCATE billing.remittances, billing.claim_payments, billing.line_payments, "
                     "billing.adjustments, billing.provider_adjustments, billing.patient_ledger, "
                     "billing.work_queue, billing.edi_files CASCADE")
        # claim_events is append-only (a trigger refuses DELETE); TRUNCATE is the test's reset
        conn.execute("TRUNCATE billing.claim_events")
        conn.execute("INSERT INTO billing.claim_events (claim_id, event_type, to_status, actor, dedupe_key) "
                     "SELECT id, 'created', 'submitted', 'test', 'created:' || id FROM billing.claims")
        conn.execute("UPDATE billing.claims SET status = 'submitted'")
        conn.commit()
    return expected, files


def test_dropped_database_connection_mid_posting_then_rerun(db_url, app_db_url, uninterrupted):
    expected, files = uninterrupted
    with psycopg.connect(app_db_url) as conn:
        for n, data in enumerate(files):
            store(conn, f"run{n}.835", data)

    # the server ends the posting session in the middle of the second payment run, after its
    # claims' statuses moved
    drop = Fault(statement=query("ledger", "close_superseded_denial_items"), nth=2, action="drop", kill_url=db_url)
    victim = psycopg.connect(app_db_url)          # posting runs as the DAGs do: the app role
    with pytest.raises(psycopg.OperationalError):
        posting.post_stored_remittances(FaultyConnection(victim, drop), actor="test")
    victim.close()
    assert drop.fired

    with psycopg.connect(app_db_url) as conn:
        partial = conn.execute("SELECT count(*) FROM billing.remittances").fetchone()[0]
        assert partial == 1            # the first payment run committed, the second rolled back whole
        posting.post_stored_remittances(conn, actor="test")
    with psycopg.connect(db_url) as conn:
        assert _comparable(conn) == expected


def test_killed_posting_process_then_rerun(db_url, app_db_url, uninterrupted):
    expected, files = uninterrupted
    with psycopg.connect(app_db_url) as conn:
        for n, data in enumerate(files):
            store(conn, f"run{n}.835", data)
    script = textwrap.dedent(f"""
        import psycopg
        from include.billing import posting
        from include.billing.rcm_sql import query
        from tests.support.faults import Fault, FaultyConnection
        # SIGKILL in the second payment run once its claim payments are written: no cleanup,
        # no rollback message
        die = Fault(statement=query("ledger", "copy_line_payments"), nth=2, action="kill")
        with psycopg.connect({app_db_url!r}) as conn:
            posting.post_stored_remittances(FaultyConnection(conn, die), actor="test")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr
    with psycopg.connect(app_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM billing.remittances").fetchone()[0] == 1
        posting.post_stored_remittances(conn, actor="test")
    with psycopg.connect(db_url) as conn:
        assert _comparable(conn) == expected


def test_truncated_wrong_counts_and_duplicate_835s(db_url, app_db_url):
    with psycopg.connect(db_url) as owner:
        good, other = _practice_with_835s(owner)
        owner.commit()
    with psycopg.connect(app_db_url) as conn:       # the inbox and posting, as the DAGs run them
        truncated = good[: len(good) // 2]
        # wrong counts: the SE01 segment count of the first transaction set is off by 5
        text = other.decode()
        se = text.index("SE*")
        count_end = text.index("*", se + 3)
        wrong = (text[:se + 3] + str(int(text[se + 3:count_end]) + 5) + text[count_end:]).encode()
        store(conn, "truncated.835", truncated)
        store(conn, "good.835", good)
        store(conn, "wrong-counts.835", wrong)
        before_dup = snapshot(conn)
        result = posting.post_stored_remittances(conn, actor="test")
        states = dict(conn.execute("SELECT file_name, state FROM billing.edi_files").fetchall())
        errors = dict(conn.execute("SELECT file_name, error FROM billing.edi_files").fetchall())
        assert states["truncated.835"] == "quarantined"
        assert "truncated.835" in errors["truncated.835"]          # the reason names the file
        assert states["good.835"] == "applied"
        # a count mismatch is reported, not silently fixed: held for review, nothing of it posted
        assert states["wrong-counts.835"] == "held"
        held = conn.execute("SELECT trace_number, held_reason FROM billing.remittances WHERE state = 'held'"
                            ).fetchall()
        assert [t for t, _ in held] == ["T3"] and "SE01" in held[0][1]
        assert conn.execute("SELECT count(*) FROM billing.claim_payments cp JOIN billing.remittances r "
                            "ON r.id = cp.remittance_id WHERE r.trace_number = 'T3'").fetchone()[0] == 0
        assert result["remittances_posted"] == 2 and result["remittances_held"] == 1
        posted = snapshot(conn)
        assert posted != before_dup
        # the same 835 again (another name, same bytes) is recognised and changes nothing
        from include.billing.inbox import store_inbound

        again = store_inbound(conn, "good-again.835", good, origin="test")
        conn.commit()
        posting.post_stored_remittances(conn, actor="test")
        assert conn.execute("SELECT count(*) FROM billing.remittances WHERE trace_number IN ('T1', 'T2')"
                            ).fetchone()[0] == 2
        assert again is not None
