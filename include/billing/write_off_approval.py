"""Write-offs above a limit need two people: one asks, a different one approves.

A write-off of a claim's payer balance up to `BILLING_WRITE_OFF_APPROVAL_LIMIT` (default
500.00) happens at once, as before. Above it, the first user's request is a claim event
(`write_off_requested`, with the amount, reason and note) and nothing else changes; a second,
different user approves (`write_off_approved`, naming the requester) and the write-off itself
follows in the same transaction (`written_off`, carrying the approver), or declines
(`write_off_declined`). The amount is checked again at approval: if payments changed the
balance meanwhile, the request must be made again.

Who may ask or approve is the Billing UI's business (plugins/billing_ui/security.py); here,
only that the approver is not the requester.
"""

from __future__ import annotations

import os
from decimal import Decimal

from include.billing import workqueue as wq

DEFAULT_LIMIT = Decimal("500.00")


def approval_limit() -> Decimal:
    return Decimal(os.environ.get("BILLING_WRITE_OFF_APPROVAL_LIMIT") or DEFAULT_LIMIT)


def payer_balance(conn, claim_id: int) -> Decimal:
    row = conn.execute(wq.load_query("claim_payer_balance"), {"claim_id": claim_id}).fetchone()
    return Decimal(row[0]) if row and row[0] is not None else Decimal("0.00")


def pending_request(conn, item_id: int, claim_id: int) -> dict | None:
    """The write-off request of this item waiting for approval, or None."""
    cur = conn.execute(wq.load_query("write_off_request_state"), {"claim_id": claim_id, "item_id": item_id})
    row = cur.fetchone()
    if row is None or row[1] != "write_off_requested":
        return None
    return {"event_id": row[0], "actor": row[2], **(row[3] or {}), "requested_at": row[4]}


def request_write_off(conn, item_id: int, reason: str, *, actor: str, note: str = "",
                      limit: Decimal | None = None) -> dict:
    """Write off now (at or under the limit) or record a request for a second user's approval."""
    limit = approval_limit() if limit is None else limit
    if reason not in wq.WRITE_OFF_REASONS:
        raise wq.ActionError(f"write-off reason must be one of: {', '.join(wq.WRITE_OFF_REASONS)}")
    if reason == "administrative" and not note.strip():
        raise wq.ActionError("an administrative write-off needs a note")
    item = wq._lock(conn, item_id)
    wq._need_open(item)
    claim_id = wq._need_claim(item)
    amount = payer_balance(conn, claim_id)
    if amount <= limit:
        wq.write_off(conn, item_id, reason, actor=actor, note=note)
        return {"state": "written_off", "amount": amount}
    if pending_request(conn, item_id, claim_id):
        raise wq.ActionError("a write-off of this claim is already waiting for approval")
    wq._event(conn, claim_id, "write_off_requested", actor,
              {"work_item_id": item_id, "reason": reason, "note": note[:500], "amount": str(amount),
               "limit": str(limit)})
    return {"state": "awaiting_approval", "amount": amount}


def approve_write_off(conn, item_id: int, *, actor: str) -> dict:
    """The second person's approval: the write-off happens, both names on the record."""
    item = wq._lock(conn, item_id)
    wq._need_open(item)
    claim_id = wq._need_claim(item)
    pending = pending_request(conn, item_id, claim_id)
    if pending is None:
        raise wq.ActionError("no write-off of this claim is waiting for approval")
    if pending["actor"] == actor:
        raise wq.ActionError("a write-off you asked for must be approved by a different user")
    amount = payer_balance(conn, claim_id)
    if amount != Decimal(pending["amount"]):
        raise wq.ActionError(f"the balance changed since the request ({pending['amount']} → {amount}); "
                             f"ask for the write-off again")
    wq._event(conn, claim_id, "write_off_approved", actor,
              {"work_item_id": item_id, "requested_by": pending["actor"], "request_event_id": pending["event_id"],
               "amount": str(amount)})
    wq.write_off(conn, item_id, pending["reason"], actor=actor,
                 note=f"requested by {pending['actor']}; {pending.get('note') or ''}".strip("; "))
    return {"state": "written_off", "amount": amount, "requested_by": pending["actor"]}


def decline_write_off(conn, item_id: int, *, actor: str, note: str = "") -> dict:
    """A reviewer turns the request down; the item stays open."""
    item = wq._lock(conn, item_id)
    wq._need_open(item)
    claim_id = wq._need_claim(item)
    pending = pending_request(conn, item_id, claim_id)
    if pending is None:
        raise wq.ActionError("no write-off of this claim is waiting for approval")
    wq._event(conn, claim_id, "write_off_declined", actor,
              {"work_item_id": item_id, "requested_by": pending["actor"], "request_event_id": pending["event_id"],
               "note": note[:500]})
    return {"state": "declined"}
