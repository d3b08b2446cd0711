"""Claims in the ledger: pick up completed visits, build claims and lines, hold claims. Set-based
SQL throughout; every function is safe to re-run. Events, moves and work items are written by
include.billing.ledger (WorkItem, move_claims and open_work_items are its, named here for callers).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from include.billing.ledger import WorkItem, move_claims, open_work_items, record_claims_created
from include.billing.rcm_sql import query

__all__ = ["WorkItem", "allocate_control_numbers", "build_claims", "hold_claims", "move_claims",
           "open_work_items", "pick_up_visits"]


def pick_up_visits(conn, *, high_water: dt.datetime, actor: str, date_from: dt.date | None = None,
                   date_to: dt.date | None = None, visit_ids: Sequence[int] | None = None) -> dict:
    """Create claim headers for completed, unbilled visits with completed_at <= high_water.

    Returns {'claims_created': n, 'visits_skipped': m}.
    """
    row = conn.execute(query("submission", "pick_up_visits"), {
        "high_water": high_water, "actor": actor, "date_from": date_from, "date_to": date_to,
        "visit_ids": list(visit_ids) if visit_ids else None,
    }).fetchone()
    return {"claims_created": int(row[0]), "visits_skipped": int(row[1])}


def build_claims(conn, *, actor: str) -> dict:
    """Lines from pm.charges and the 'created' event for every claim that has none yet."""
    lines = conn.execute(query("submission", "build_claim_lines")).rowcount
    events = record_claims_created(conn, actor=actor)
    return {"claims_built": events, "lines_created": max(lines, 0)}


def hold_claims(conn, items: Sequence[WorkItem], *, actor: str, stage: str) -> dict:
    """Open the work items and move their claims new -> held (one event per claim with its reasons)."""
    reasons: dict[int, list[str]] = {}
    for item in items:
        reasons.setdefault(item.claim_id, []).append(item.reason_code)
    opened = open_work_items(conn, items)
    held = move_claims(conn, reasons, from_status="new", to_status="held", actor=actor,
                       event_type=f"held_{stage}", dedupe_prefix=f"held:{stage}",
                       detail_by_claim={cid: {"reason_codes": sorted(set(r))} for cid, r in reasons.items()})
    return {"work_items_opened": opened, "claims_held": len(held)}


def allocate_control_numbers(conn, partner: str, kind: str, count: int = 1) -> int:
    """Reserve `count` consecutive control numbers; returns the first (in the caller's transaction)."""
    conn.execute("""INSERT INTO billing.control_numbers (trading_partner, kind, last_value)
                    VALUES (%s, %s, 0) ON CONFLICT DO NOTHING""", (partner, kind))
    last = conn.execute(query("submission", "next_control_numbers"),
                        {"partner": partner, "kind": kind, "count": count}).fetchone()[0]
    return int(last) - count + 1

