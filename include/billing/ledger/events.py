"""Recording an event: the one writer of billing.claim_events rows (invariant 4: every change
explained). An event names its from and to status, its actor and its run; an event that changes
no status records the status the claim is in (CURRENT) as both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from psycopg.rows import namedtuple_row

from include.billing.rcm_sql import query
from include.billing.runs import SETTINGS, RunRef


class _Current:
    def __repr__(self) -> str:
        return "CURRENT"


CURRENT: Any = _Current()     # "the status the claim is in when the event is written"


@dataclass(frozen=True)
class Event:
    claim_id: int
    event_type: str
    from_status: str | None = CURRENT
    to_status: str | None = CURRENT
    detail: dict | None = None
    dedupe_key: str | None = None


def record_events(conn, events: Sequence[Event], *, actor: str, source_file_id: int | None = None,
                  run: RunRef | None = None) -> list:
    """Append events in one statement, in the order given (in the caller's transaction).

    `run` names the task try that wrote them; None means the run bound to the connection (or none,
    for a person's action). An event whose dedupe key is already recorded, or whose claim does not
    exist, is not written. Returns the rows written: (id, claim_id, event_type, dedupe_key).
    """
    events = list(events)
    if not events:
        return []
    runs = run.to_dict() if run else dict.fromkeys(SETTINGS)
    with conn.cursor(row_factory=namedtuple_row) as cur:
        return cur.execute(query("ledger", "record_events"), {
            "actor": actor, "source_file_id": source_file_id, **runs,
            "claim_ids": [e.claim_id for e in events], "event_types": [e.event_type for e in events],
            "from_current": [e.from_status is CURRENT for e in events],
            "from_statuses": [None if e.from_status is CURRENT else e.from_status for e in events],
            "to_current": [e.to_status is CURRENT for e in events],
            "to_statuses": [None if e.to_status is CURRENT else e.to_status for e in events],
            # one JSON array, not a jsonb[]: psycopg quotes each element of a text array in Python,
            # which costs more than the INSERT on 10,000 events
            "details": json.dumps([e.detail or {} for e in events], default=str),
            "dedupe_keys": [e.dedupe_key for e in events]}).fetchall()


def record_event(conn, claim_id: int, event_type: str, *, actor: str, from_status: str | None = CURRENT,
                 to_status: str | None = CURRENT, source_file_id: int | None = None,
                 detail: dict | None = None, dedupe_key: str | None = None,
                 run: RunRef | None = None) -> int | None:
    """One event (see record_events); by default one that changes no status (e.g. a 277 report,
    an inquiry sent, a correction). Returns its id, or None when its dedupe key was recorded before."""
    rows = record_events(conn, [Event(claim_id, event_type, from_status, to_status, detail, dedupe_key)],
                         actor=actor, source_file_id=source_file_id, run=run)
    return int(rows[0].id) if rows else None


def record_claims_created(conn, *, actor: str) -> int:
    """'created' (→ new) for every new claim that has no such event yet; returns how many."""
    return max(conn.execute(query("ledger", "record_claims_created"), {"actor": actor}).rowcount, 0)


def record_secondaries_created(conn, new_ids: Sequence[int], *, actor: str, source_file_id: int | None) -> int:
    """created (→ new) and secondary_ready (new → ready) for the new secondary (tertiary) claims
    staged in posting's posting_new_secondary table; returns the events written."""
    return max(conn.execute(query("ledger", "record_secondaries_created"),
                            {"new_ids": list(new_ids), "actor": actor, "source_file_id": source_file_id}).rowcount, 0)
