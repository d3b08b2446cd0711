"""Opening work items: the one writer of billing.work_queue rows. A work item is a finding for a
person to review; its dedupe key makes the same finding twice one item."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Sequence

from psycopg.rows import namedtuple_row

from include.billing.rcm_sql import query


class _DueSoon:
    def __repr__(self) -> str:
        return "DUE_SOON"


DUE_SOON: Any = _DueSoon()     # due three days from the simulated clock (billing.clock())


@dataclass(frozen=True)
class WorkItem:
    """One finding for a person to review; `explanation` must not contain PHI."""

    claim_id: int | None
    source: str              # data_quality | eligibility | scrubbing | submission | 999 | denial | …
    reason_code: str
    explanation: str
    details: dict | None = None
    visit_id: int | None = None
    edi_file_id: int | None = None
    due_date: dt.date | None = DUE_SOON
    key: str | None = None   # the dedupe key, when it is not one per claim and reason

    @property
    def dedupe_key(self) -> str:
        # one item per claim and reason, however often the check runs
        return self.key or f"{self.reason_code}:claim:{self.claim_id}"


def open_work_items(conn, items: Sequence[WorkItem]) -> int:
    """Open work items in one statement; an item already there (same dedupe key) is left as it is.
    Returns how many were opened."""
    return len(_open(conn, items))


def open_work_item(conn, *, source: str, reason_code: str, explanation: str, dedupe_key: str,
                   claim_id: int | None = None, edi_file_id: int | None = None, visit_id: int | None = None,
                   details: dict | None = None, due_date: dt.date | None = None) -> int | None:
    """One work item (no due date unless given); returns its id, or None when it was open already."""
    rows = _open(conn, [WorkItem(claim_id, source, reason_code, explanation, details, visit_id, edi_file_id,
                                 due_date, dedupe_key)])
    return int(rows[0].id) if rows else None


def _open(conn, items: Sequence[WorkItem]) -> list:
    if not items:
        return []
    with conn.cursor(row_factory=namedtuple_row) as cur:
        return cur.execute(query("ledger", "open_work_items"), {
            "claim_ids": [i.claim_id for i in items], "visit_ids": [i.visit_id for i in items],
            "edi_file_ids": [i.edi_file_id for i in items], "sources": [i.source for i in items],
            "reasons": [i.reason_code for i in items], "explanations": [i.explanation for i in items],
            "details": [json.dumps(i.details or {}, default=str) for i in items],
            "keys": [i.dedupe_key for i in items],
            "due_soon": [i.due_date is DUE_SOON for i in items],
            "due_dates": [None if i.due_date is DUE_SOON else i.due_date for i in items]}).fetchall()
