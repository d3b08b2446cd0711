"""Moving claims between statuses: the one place a claim's status changes, each move with its
event in the same transaction.

Which move is allowed is one table, TRANSITIONS: a status never moves backwards because files
arrive out of order, and a refused move is recorded as an ignored event instead. A few moves
are deliberate restarts (a correction after a rejection, a reversal of a payment).
include.billing.status re-exports these names (its callers' import path).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from include.billing.ledger.events import Event, record_events
from include.billing.rcm_sql import query

# The one transition table: for each status, the statuses a claim in it may move to. Statuses
# follow the revenue cycle and never go back because files arrive out of order (a 999 after the
# 277CA, a 277 after the 835); a later stage may be reached directly (new -> paid when an 835
# is the first answer). The few deliberate moves back are marked "restart". Anything not listed
# is refused (set_status records it as ignored(<event>), claim_events.ignored in the database). tests/unit/foundation/
# test_ledger_transitions.py checks every row.
_AFTER_ADJUDICATION = {"reversed", "replaced", "voided", "written_off", "closed"}
TRANSITIONS: dict[str, frozenset[str]] = {
    # built from a completed visit, checks not yet run
    "new": frozenset({"held", "ready", "submitted", "crossed_over", "rejected", "acknowledged", "accepted",
                      "pending", "denied", "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # failed data quality, eligibility or scrubbing: in the work queue
    "held": frozenset({"ready", "submitted", "crossed_over", "rejected", "acknowledged", "accepted", "pending",
                       "denied", "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # passed every check, waiting for the next 837 batch
    "ready": frozenset({"submitted", "crossed_over", "rejected", "acknowledged", "accepted", "pending", "denied",
                        "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # in an 837 file delivered to the clearinghouse
    "submitted": frozenset({"crossed_over", "rejected", "acknowledged", "accepted", "pending", "denied",
                            "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # the primary payer forwarded it to this (secondary) payer: we send nothing
    "crossed_over": frozenset({"rejected", "acknowledged", "accepted", "pending", "denied", "partially_paid", "paid",
                               *_AFTER_ADJUDICATION}),
    # 999 or 277CA rejection: in the work queue; restart: a person fixes it (ready) or holds it (held)
    "rejected": frozenset({"held", "ready", "acknowledged", "accepted", "pending", "denied", "partially_paid",
                           "paid", *_AFTER_ADJUDICATION}),
    # 999 accepted the transaction set (a 277CA may still reject the claim)
    "acknowledged": frozenset({"rejected", "accepted", "pending", "denied", "partially_paid", "paid",
                               *_AFTER_ADJUDICATION}),
    # 277CA accepted: the payer has the claim
    "accepted": frozenset({"pending", "denied", "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # 277 says the payer is working on it
    "pending": frozenset({"denied", "partially_paid", "paid", *_AFTER_ADJUDICATION}),
    # 835 adjudications: one may follow another (a corrected 835)
    "denied": frozenset({"partially_paid", "paid", *_AFTER_ADJUDICATION}),
    "partially_paid": frozenset({"denied", "paid", *_AFTER_ADJUDICATION}),
    "paid": frozenset({"denied", "partially_paid", *_AFTER_ADJUDICATION}),
    # 835 CLP02=22 took the payment back; restart: the payer's re-adjudication follows
    "reversed": frozenset({"denied", "partially_paid", "paid", "replaced", "voided", "written_off", "closed"}),
    # superseded by a frequency-7 replacement claim, voided, written off: final but for each other and closing
    "replaced": frozenset({"voided", "written_off", "closed"}),
    "voided": frozenset({"replaced", "written_off", "closed"}),
    "written_off": frozenset({"replaced", "voided", "closed"}),
    "closed": frozenset(),
}
STATUSES = tuple(TRANSITIONS)


def ignored(event_type: str) -> str:
    """The name of an event recorded without moving its claim (a refused move, or a file that came
    too late to say anything): `<event_type>_ignored`. Queries read it as claim_events.ignored and
    claim_events.base_event_type (migration 0019), never by the name."""
    return f"{event_type}_ignored"


def may_move(current: str, new: str) -> bool:
    """Whether a claim in `current` may move to `new` (the transition table); an unknown status is an error."""
    if new not in TRANSITIONS:
        raise KeyError(new)
    return new in TRANSITIONS[current]


def set_status(conn, claim_id: int, new_status: str, *, actor: str, event_type: str,
               source_file_id: int | None = None, detail: dict[str, Any] | None = None,
               dedupe_key: str | None = None) -> bool:
    """Move one claim to `new_status` and append the event, in the caller's transaction.

    Returns True when the status changed. A move that would go backwards is not applied; it
    is still recorded (event `<event_type>_ignored`) so the history explains every file.
    A `dedupe_key` makes replays no-ops.
    """
    try:
        return set_statuses(conn, [(claim_id, new_status, event_type, detail, dedupe_key)], actor=actor,
                            source_file_id=source_file_id) == 1
    except LookupError:
        raise LookupError(f"claim {claim_id} does not exist") from None


def set_statuses(conn, moves, *, actor: str, source_file_id: int | None = None,
                 payer_ccns: dict[int, str] | None = None) -> int:
    """`set_status` for many claims in three statements: the same rules, applied in the order given
    (a claim may move twice, e.g. reversed then re-adjudicated), each event keyed by its dedupe key.

    `moves` are (claim_id, new_status, event_type, detail, dedupe_key). `payer_ccns` (claim id →
    the payer's claim control number, 835 CLP07) are kept on the claims in the same UPDATE, moved
    or not (one pass over the claims' rows and indexes instead of two). Returns how many changed.
    """
    moves = list(moves)
    if not moves:
        return 0
    ids = sorted({m[0] for m in moves})
    current = {r[0]: r[1] for r in conn.execute(query("ledger", "lock_claims"), {"ids": ids}).fetchall()}
    missing = set(ids) - set(current)
    if missing:
        raise LookupError(f"claims {sorted(missing)[:5]} do not exist")
    events, changed = [], []
    for claim_id, new_status, event_type, detail, dedupe_key in moves:
        was = current[claim_id]
        moves_now = may_move(was, new_status)
        if moves_now:
            current[claim_id] = new_status
        events.append(Event(claim_id, event_type if moves_now else ignored(event_type), was,
                            new_status if moves_now else was, detail, dedupe_key))
        changed.append(moves_now)
    written = {r.dedupe_key for r in record_events(conn, events, actor=actor, source_file_id=source_file_id)}
    # the status each claim ends at, counting only the moves whose event is new (a replayed one was
    # applied); an event without a dedupe key is always written (the claims exist and are locked)
    final: dict[int, str] = {}
    n = 0
    for e, moved in zip(events, changed):
        if moved and (e.dedupe_key is None or e.dedupe_key in written):
            final[e.claim_id] = e.to_status
            n += 1
    ccns = {k: v for k, v in (payer_ccns or {}).items() if v}
    if final or ccns:
        ids = sorted(set(final) | set(ccns))
        conn.execute(query("ledger", "set_statuses"), {"ids": ids, "statuses": [final.get(i) for i in ids],
                                                       "pccns": [ccns.get(i) for i in ids]})
    return n


def move_claims(conn, claim_ids: Iterable[int], *, from_status: str, to_status: str, actor: str,
                event_type: str, dedupe_prefix: str, detail_by_claim: dict[int, dict] | None = None,
                source_file_id: int | None = None) -> list[int]:
    """Set-based equivalent of set_status for many claims currently in `from_status`.

    Same rules: forward moves only (checked once here), one event per claim in the same
    transaction, a dedupe key per claim (`<dedupe_prefix>:<claim_id>`) so a replay is a no-op.
    Claims no longer in `from_status` are left alone. Returns the ids that moved.
    """
    if not may_move(from_status, to_status):
        raise ValueError(f"{from_status} -> {to_status} is not a forward move")
    ids = sorted(set(int(i) for i in claim_ids))
    if not ids:
        return []
    # without details every claim's is the empty object: one string, not a json.dumps per claim
    details = ([json.dumps(detail_by_claim.get(i, {}), default=str) for i in ids] if detail_by_claim
               else ["{}"] * len(ids))
    moved = conn.execute(query("ledger", "move_claims"), {
        "ids": ids, "details": details, "from": from_status, "to": to_status, "event": event_type,
        "actor": actor, "file": source_file_id, "prefix": dedupe_prefix}).fetchall()
    return sorted(r[0] for r in moved)
