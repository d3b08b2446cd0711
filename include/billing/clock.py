"""The ledger's clock: billing.clock() (migration 0018) is now() plus a per-session offset.

A DAG run that is given an `as_of` (the demo's simulated day) sets the offset on the connections
its tasks open, so the rows it writes (claim events, batches, postings, work items) carry that
day. The offset counts only where the owner has allowed it (`allow_offset`, the demo's own
database); elsewhere billing.clock() is now().
"""

from __future__ import annotations

import datetime as dt

SETTING = "billing.clock_offset"


def set_clock(conn, at: dt.datetime | None) -> None:
    """Make billing.clock() read `at` (as of this statement) for the rest of the session; None: now()."""
    if at is None:
        conn.execute("SELECT set_config(%s, '', false)", (SETTING,))
        return
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    conn.execute("SELECT set_config(%s, (%s::timestamptz - now())::text, false)", (SETTING, at))


def allow_offset(conn, allowed: bool, note: str = "") -> None:
    """Owner only: let sessions shift billing.clock() (a demo or test database), or stop them."""
    conn.execute("UPDATE billing.clock_policy SET allow_offset = %s, note = %s", (allowed, note or None))


def clock(conn) -> dt.datetime:
    """billing.clock() as this session sees it."""
    return conn.execute("SELECT billing.clock()").fetchone()[0]
