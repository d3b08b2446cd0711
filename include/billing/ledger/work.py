"""Work items: the one writer of billing.work_queue rows. It opens them (a finding for a person to
review; its dedupe key makes the same finding twice one item), adds to their details, assigns
them, and closes them (resolved or written off, with the actor; the run is the one bound to the
connection, and billing.change_log keeps every change of a row)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from psycopg.rows import namedtuple_row

from include.billing.rcm_sql import query, run

RESOLUTIONS = ("resolved", "written_off")


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


def work_item_id(conn, dedupe_key: str) -> int | None:
    """The id of the work item with this dedupe key (open or closed), None when there is none."""
    row = run(conn, "ledger", "work_item_id", {"dedupe_key": dedupe_key}).fetchone()
    return int(row.id) if row else None


def update_work_item(conn, item_id: int, details: dict, *, merge_into: str | None = None) -> bool:
    """Add `details` to a work item's details (its top level, or the object under `merge_into`,
    e.g. an appeal packet's files); whatever its state. Returns whether the item exists."""
    return run(conn, "ledger", "update_work_item", {
        "item_id": item_id, "details": json.dumps(details, default=str), "merge_into": merge_into}).fetchone() is not None


def assign_work_item(conn, item_id: int, assignee: str | None) -> bool:
    """Assign an open item to a person (in progress), or unassign it (None: open again).
    Returns False when the item is closed (or does not exist)."""
    return run(conn, "ledger", "assign_work_item", {"item_id": item_id, "assignee": assignee}).fetchone() is not None


def close_work_items(conn, *, resolution: str, actor: str, ids: Iterable[int] = (),
                     dedupe_keys: Iterable[str] = (), claim_ids: Iterable[int] = ()) -> list[int]:
    """Close, in one statement, the open items named by id, by dedupe key, or by claim (every open
    item of those claims): `resolution` is resolved or written_off; `actor` who closed them.
    Items already closed stay as they are. Returns the ids closed."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"a work item is closed as one of {RESOLUTIONS}, not {resolution!r}")
    ids, dedupe_keys, claim_ids = [int(i) for i in ids], list(dedupe_keys), [int(c) for c in claim_ids]
    if not (ids or dedupe_keys or claim_ids):
        return []
    return sorted(int(r.id) for r in run(conn, "ledger", "close_work_items", {
        "resolution": resolution, "actor": actor, "ids": ids, "dedupe_keys": dedupe_keys,
        "claim_ids": claim_ids}).fetchall())


def close_work_item(conn, item_id: int, *, resolution: str, actor: str) -> bool:
    """Close one item (see close_work_items); False when it was closed already."""
    return bool(close_work_items(conn, resolution=resolution, actor=actor, ids=[item_id]))


def close_superseded_denial_items(conn, payment_ids: Sequence[int], *, actor: str) -> list[int]:
    """Resolve the denial items of earlier adjudications that the payments `payment_ids` answer
    again without reversing them (e.g. a payment after an appeal). Returns the ids closed."""
    if not payment_ids:
        return []
    return sorted(int(r.id) for r in run(conn, "ledger", "close_superseded_denial_items", {
        "payment_ids": list(payment_ids), "actor": actor}).fetchall())
