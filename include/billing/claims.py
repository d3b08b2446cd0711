"""Claims in the ledger: pick up completed visits, build claims and lines, move claims in bulk,
open work-queue items. Set-based SQL throughout; every function is safe to re-run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from include.billing.settings import submission_query
from include.billing.status import may_move


@dataclass(frozen=True)
class WorkItem:
    """One finding for a person to review; `explanation` must not contain PHI."""

    claim_id: int
    source: str              # data_quality | eligibility | scrubbing | submission
    reason_code: str
    explanation: str
    details: dict | None = None
    visit_id: int | None = None

    @property
    def dedupe_key(self) -> str:
        # one item per claim and reason, however often the check runs
        return f"{self.reason_code}:claim:{self.claim_id}"


def pick_up_visits(conn, *, high_water: dt.datetime, actor: str, date_from: dt.date | None = None,
                   date_to: dt.date | None = None, visit_ids: Sequence[int] | None = None) -> dict:
    """Create claim headers for completed, unbilled visits with completed_at <= high_water.

    Returns {'claims_created': n, 'visits_skipped': m}.
    """
    row = conn.execute(submission_query("pick_up_visits"), {
        "high_water": high_water, "actor": actor, "date_from": date_from, "date_to": date_to,
        "visit_ids": list(visit_ids) if visit_ids else None,
    }).fetchone()
    return {"claims_created": int(row[0]), "visits_skipped": int(row[1])}


def build_claims(conn, *, actor: str) -> dict:
    """Lines from pm.charges and the 'created' event for every claim that has none yet."""
    lines = conn.execute(submission_query("build_claim_lines")).rowcount
    events = conn.execute(submission_query("claim_created_events"), {"actor": actor}).rowcount
    return {"claims_built": max(events, 0), "lines_created": max(lines, 0)}


def move_claims(conn, claim_ids: Iterable[int], *, from_status: str, to_status: str, actor: str,
                event_type: str, dedupe_prefix: str, detail_by_claim: dict[int, dict] | None = None,
                source_file_id: int | None = None) -> list[int]:
    """Set-based equivalent of status.set_status for many claims currently in `from_status`.

    Same rules: forward moves only (checked once here), one event per claim in the same
    transaction, a dedupe key per claim (`<dedupe_prefix>:<claim_id>`) so a replay is a no-op.
    Claims no longer in `from_status` are left alone. Returns the ids that moved.
    """
    if not may_move(from_status, to_status):
        raise ValueError(f"{from_status} -> {to_status} is not a forward move")
    ids = sorted(set(int(i) for i in claim_ids))
    if not ids:
        return []
    details = [json.dumps((detail_by_claim or {}).get(i, {})) for i in ids]
    moved = conn.execute(
        """WITH input AS (
               SELECT * FROM unnest(%(ids)s::bigint[], %(details)s::jsonb[]) AS t(claim_id, detail)
           ), candidates AS (
               SELECT c.id, i.detail FROM billing.claims c JOIN input i ON i.claim_id = c.id
               WHERE c.status = %(from)s
               FOR UPDATE OF c
           ), events AS (
               INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor,
                                                 source_file_id, detail, dedupe_key)
               SELECT id, %(event)s, %(from)s, %(to)s, %(actor)s, %(file)s, detail,
                      %(prefix)s || ':' || id
               FROM candidates
               ON CONFLICT (dedupe_key) DO NOTHING
               RETURNING claim_id
           )
           UPDATE billing.claims c SET status = %(to)s, updated_at = billing.clock()
           FROM events e WHERE e.claim_id = c.id
           RETURNING c.id""",
        {"ids": ids, "details": details, "from": from_status, "to": to_status, "event": event_type,
         "actor": actor, "file": source_file_id, "prefix": dedupe_prefix},
    ).fetchall()
    return sorted(r[0] for r in moved)


def open_work_items(conn, items: Sequence[WorkItem]) -> int:
    """Insert work-queue items; an item already there (same dedupe key) is left as it is."""
    if not items:
        return 0
    cur = conn.execute(
        """INSERT INTO billing.work_queue (claim_id, visit_id, source, reason_code, explanation, details,
                                           dedupe_key, due_date)
           SELECT t.claim_id, coalesce(t.visit_id, c.visit_id), t.source, t.reason_code, t.explanation,
                  t.details, t.dedupe_key, billing.clock()::date + 3
           FROM unnest(%(claim_ids)s::bigint[], %(visit_ids)s::int[], %(sources)s::text[],
                       %(reasons)s::text[], %(explanations)s::text[], %(details)s::jsonb[],
                       %(keys)s::text[])
                AS t(claim_id, visit_id, source, reason_code, explanation, details, dedupe_key)
           JOIN billing.claims c ON c.id = t.claim_id
           ON CONFLICT (dedupe_key) DO NOTHING""",
        {
            "claim_ids": [i.claim_id for i in items],
            "visit_ids": [i.visit_id for i in items],
            "sources": [i.source for i in items],
            "reasons": [i.reason_code for i in items],
            "explanations": [i.explanation for i in items],
            "details": [json.dumps(i.details or {}) for i in items],
            "keys": [i.dedupe_key for i in items],
        },
    )
    return max(cur.rowcount, 0)


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
    last = conn.execute(submission_query("next_control_numbers"),
                        {"partner": partner, "kind": kind, "count": count}).fetchone()[0]
    return int(last) - count + 1

