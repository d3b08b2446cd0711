"""Claim statuses, their order, and the one way to change a claim's status.

A status never moves backwards because files arrive out of order: each status has a rank
along the revenue cycle and an update that would lower it is refused (recorded as an
ignored event instead). A few moves are deliberate restarts (a correction after a
rejection, a reversal of a payment) and are allowed explicitly.
"""

from __future__ import annotations

import json
from typing import Any

# rank along the cycle; equal ranks are alternatives at the same stage
RANK = {
    "new": 0,            # built from a completed visit, checks not yet run
    "held": 10,          # failed data quality, eligibility or scrubbing: in the work queue
    "ready": 20,         # passed every check, waiting for the next 837 batch
    "submitted": 30,     # in an 837 file delivered to the clearinghouse
    "crossed_over": 35,  # the primary payer forwarded it to this (secondary) payer: we send nothing
    "rejected": 40,      # 999 or 277CA rejection: in the work queue
    "acknowledged": 40,  # 999 accepted the transaction set
    "accepted": 50,      # 277CA accepted: the payer has the claim
    "pending": 55,       # 277 says the payer is working on it
    "denied": 70,        # 835: paid nothing
    "partially_paid": 70,
    "paid": 70,
    "reversed": 80,      # 835 CLP02=22 took the payment back
    "replaced": 90,      # superseded by a frequency-7 replacement claim
    "voided": 90,
    "written_off": 90,
    "closed": 95,
}

# deliberate moves that go "back": a person (or the demo's clerk) fixes a held or rejected
# claim and releases it; a reversal is followed by the payer's re-adjudication.
RESTARTS = {
    ("held", "ready"),
    ("rejected", "ready"),
    ("rejected", "held"),
    ("reversed", "paid"),
    ("reversed", "partially_paid"),
    ("reversed", "denied"),
    ("denied", "replaced"),
}


def may_move(current: str, new: str) -> bool:
    if current == new:
        return False
    if (current, new) in RESTARTS:
        return True
    return RANK[new] >= RANK[current]


def set_status(conn, claim_id: int, new_status: str, *, actor: str, event_type: str,
               source_file_id: int | None = None, detail: dict[str, Any] | None = None,
               dedupe_key: str | None = None) -> bool:
    """Move one claim to `new_status` and append the event, in the caller's transaction.

    Returns True when the status changed. A move that would go backwards is not applied; it
    is still recorded (event `<event_type>_ignored`) so the history explains every file.
    A `dedupe_key` makes replays no-ops.
    """
    row = conn.execute("SELECT status FROM billing.claims WHERE id = %s FOR UPDATE", (claim_id,)).fetchone()
    if row is None:
        raise LookupError(f"claim {claim_id} does not exist")
    current = row[0]
    changed = may_move(current, new_status)
    inserted = conn.execute(
        """INSERT INTO billing.claim_events
               (claim_id, event_type, from_status, to_status, actor, source_file_id, detail, dedupe_key)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING id""",
        (claim_id, event_type if changed else f"{event_type}_ignored", current,
         new_status if changed else current, actor, source_file_id, json.dumps(detail or {}), dedupe_key),
    ).fetchone()
    if inserted is None:          # this exact event was applied before
        return False
    if changed:
        conn.execute(
            "UPDATE billing.claims SET status = %s, updated_at = billing.clock() WHERE id = %s",
            (new_status, claim_id),
        )
    return changed


def set_statuses(conn, moves, *, actor: str, source_file_id: int | None = None) -> int:
    """`set_status` for many claims in three statements: the same rules, applied in the order given
    (a claim may move twice, e.g. reversed then re-adjudicated), each event keyed by its dedupe key.

    `moves` are (claim_id, new_status, event_type, detail, dedupe_key). Returns how many changed.
    """
    moves = list(moves)
    if not moves:
        return 0
    ids = sorted({m[0] for m in moves})
    current = dict(conn.execute("SELECT id, status FROM billing.claims WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                                (ids,)).fetchall())
    missing = set(ids) - set(current)
    if missing:
        raise LookupError(f"claims {sorted(missing)[:5]} do not exist")
    rows = []
    for claim_id, new_status, event_type, detail, dedupe_key in moves:
        was = current[claim_id]
        changed = may_move(was, new_status)
        if changed:
            current[claim_id] = new_status
        rows.append((claim_id, event_type if changed else f"{event_type}_ignored", was,
                     new_status if changed else was, json.dumps(detail or {}), dedupe_key, changed))
    inserted = {r[0] for r in conn.execute(
        """INSERT INTO billing.claim_events
               (claim_id, event_type, from_status, to_status, actor, source_file_id, detail, dedupe_key)
           SELECT m.claim_id, m.event_type, m.from_status, m.to_status, %(actor)s, %(file)s, m.detail, m.dedupe_key
             FROM unnest(%(claim_ids)s::bigint[], %(types)s::text[], %(froms)s::text[], %(tos)s::text[],
                         %(details)s::jsonb[], %(keys)s::text[]) WITH ORDINALITY
                  AS m(claim_id, event_type, from_status, to_status, detail, dedupe_key, n)
            ORDER BY m.n
           ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING dedupe_key""",
        {"actor": actor, "file": source_file_id, "claim_ids": [r[0] for r in rows], "types": [r[1] for r in rows],
         "froms": [r[2] for r in rows], "tos": [r[3] for r in rows], "details": [r[4] for r in rows],
         "keys": [r[5] for r in rows]}).fetchall()}
    # the status each claim ends at, counting only the moves whose event is new (a replayed one was applied)
    final: dict[int, str] = {}
    for claim_id, _, _, to_status, _, key, changed in rows:
        if changed and key in inserted:
            final[claim_id] = to_status
    if final:
        conn.execute("""UPDATE billing.claims c SET status = m.status, updated_at = billing.clock()
                          FROM unnest(%s::bigint[], %s::text[]) AS m(id, status) WHERE c.id = m.id""",
                     (list(final), list(final.values())))
    return sum(1 for r in rows if r[6] and r[5] in inserted)
