"""Apply stored 999, 277CA and 277 files to claims: status events and work-queue items.

Each file is applied in its own transaction and then marked 'applied'; a file that cannot be
read is marked 'quarantined' with the reason (file and segment) and the others go on. Every
status change goes through `status.set_status` with a dedupe key per file and claim, so
re-applying a file changes nothing, and a late file never moves a claim backwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from include.edi.errors import X12Error
from include.edi.x277 import parse_277
from include.edi.x277ca import parse_277ca
from include.edi.x999 import explain_in_words, parse_999

from .edi_slices import record_by_claim_number as record_slices
from .edi_slices import record_for_claims as record_slice_for_claims
from .edi_slices import scan as scan_slices
from .ledger import ignored, open_work_item, record_event
from .rcm_sql import query
from .status import set_status

log = logging.getLogger(__name__)

@dataclass
class AckResult:
    files: int = 0
    quarantined: int = 0
    status_changes: int = 0
    work_items: int = 0
    unmatched: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, status: str, changed: bool) -> None:
        if changed:
            self.status_changes += 1
            self.by_status[status] = self.by_status.get(status, 0) + 1

    def to_dict(self) -> dict:
        return {"files": self.files, "quarantined": self.quarantined, "status_changes": self.status_changes,
                "work_items": self.work_items, "unmatched": self.unmatched, "by_status": dict(self.by_status)}


def _claims_by_number(conn, numbers) -> dict[str, tuple[int, str]]:
    rows = conn.execute(query("responses", "claims_by_number"), {"claim_numbers": list(numbers)}).fetchall()
    return {r[1]: (r[0], r[2]) for r in rows}


def _ctl(v: str) -> int | None:
    v = (v or "").strip()
    return int(v) if v.isdigit() else None


def apply_999(conn, file_id: int, data: bytes, *, actor: str, file_name: str | None = None,
              trading_partner: str = "sandbox", result: AckResult | None = None) -> AckResult:
    res = result or AckResult()
    # each AK2 loop's place in the file, recorded for the claims it answers (the UI reads only it)
    ak2_slices = {sl.key: sl for sl in scan_slices(data, "999")}
    for ack in parse_999(data, file_name):
        gcn = _ctl(ack.group_control_number)
        for ta in ack.transactions:
            rows = conn.execute(query("responses", "batch_claims_for_ack"), {
                "trading_partner": trading_partner, "group_control_number": gcn,
                "transaction_control_number": _ctl(ta.control_number)}).fetchall()
            if not rows:
                res.unmatched += 1
                log.warning("999 %s: no batch with group %s / set %s", file_id, ack.group_control_number,
                            ta.control_number)
                continue
            sl = ak2_slices.get((gcn, _ctl(ta.control_number)))
            if sl is not None:
                record_slice_for_claims(conn, file_id, sl, sorted({r[1] for r in rows}))
            batch_ids = sorted({r[0] for r in rows})
            conn.execute(query("responses", "mark_batch"),
                         {"state": "accepted" if ta.accepted else "rejected", "batch_ids": batch_ids})
            explanation = None if ta.accepted else explain_in_words(ta)
            for _, claim_id, current in rows:
                key = f"999:{file_id}:{claim_id}"
                if ta.accepted and current != "submitted":
                    # the payer answered already (277CA/835 came first): the 999 adds nothing
                    record_event(conn, claim_id, ignored("ack_999"), actor=actor, source_file_id=file_id,
                              detail={"set": ta.control_number, "ik5": ta.status}, dedupe_key=key)
                elif ta.accepted:
                    changed = set_status(conn, claim_id, "acknowledged", actor=actor, event_type="ack_999",
                                         source_file_id=file_id, dedupe_key=key,
                                         detail={"set": ta.control_number, "ik5": ta.status})
                    res.count("acknowledged", changed)
                else:
                    changed = set_status(conn, claim_id, "rejected", actor=actor, event_type="ack_999_rejected",
                                         source_file_id=file_id, dedupe_key=key,
                                         detail={"set": ta.control_number, "ik5": ta.status})
                    res.count("rejected", changed)
                    if changed and open_work_item(
                            conn, claim_id=claim_id, edi_file_id=file_id, source="999",
                            reason_code="ACK999_REJECTED", explanation=explanation,
                            details={"transaction_ack": {k: v for k, v in ta.to_dict().items()
                                                         if k in ("control_number", "status", "error_codes")}},
                            dedupe_key=key):
                        res.work_items += 1
    return res


# 277CA acknowledgment levels (X12 005010X214, claim status category codes, code list 507):
# A0 (forwarded) and A1 (receipt) say that an entity - the clearinghouse, or the payer's front
# door - has the claim; they do not mean it was accepted for adjudication. A2 (acceptance into
# the adjudication system) and A5 (split claim, split "upon acceptance into the adjudication
# system") are the payer's acceptance. A3/A4/A6/A7/A8 return the claim. See docs/metrics.md.
CLEARINGHOUSE_LEVEL = frozenset({"A0", "A1"})
PAYER_ACCEPTED = frozenset({"A2", "A5"})
RETURNED = frozenset({"A3", "A4", "A6", "A7", "A8"})


def ack_level(categories) -> str:
    """'rejected' | 'payer_accepted' | 'clearinghouse' | 'info' for the STC categories of one claim.

    A claim-level STC that returns the claim wins over any other STC on the same claim (a claim
    cannot be both received and returned); then payer acceptance; then clearinghouse receipt."""
    cats = set(categories)
    if cats & RETURNED:
        return "rejected"
    if cats & PAYER_ACCEPTED:
        return "payer_accepted"
    if cats & CLEARINGHOUSE_LEVEL:
        return "clearinghouse"
    return "info"


def _had_clearinghouse_ack(conn, claim_id: int) -> bool:
    return conn.execute(query("responses", "had_clearinghouse_ack"), {"claim_id": claim_id}).fetchone() is not None


def apply_277ca(conn, file_id: int, data: bytes, *, actor: str, file_name: str | None = None,
                result: AckResult | None = None) -> AckResult:
    """Claim statuses from a 277CA. A0/A1 (clearinghouse level) leave the claim `acknowledged`;
    only A2/A5 (payer acceptance) make it `accepted`; A3/A4/A6/A7/A8 make it `rejected` with a
    work item - also when the clearinghouse had acknowledged it before (a payer rejection)."""
    res = result or AckResult()
    acks = parse_277ca(data, file_name)
    record_slices(conn, file_id, scan_slices(data, "277CA"))     # each claim's loop, for the UI
    claims = _claims_by_number(conn, {a.claim_id for a in acks})
    for a in acks:
        hit = claims.get(a.claim_id)
        if hit is None:
            res.unmatched += 1
            continue
        claim_id = hit[0]
        key = f"277CA:{file_id}:{claim_id}"
        level = ack_level(s.category for s in a.statuses)
        detail = {"category": a.category, "status_code": a.status_code, "description": a.description,
                  "level": level}
        if level == "rejected":
            by_payer = _had_clearinghouse_ack(conn, claim_id)
            detail["rejected_by"] = "payer" if by_payer else "front end"
            changed = set_status(conn, claim_id, "rejected", actor=actor, event_type="ack_277ca_rejected",
                                 source_file_id=file_id, detail=detail, dedupe_key=key)
            res.count("rejected", changed)
            who = ("payer rejected the claim after the clearinghouse accepted it" if by_payer
                   else "payer front end rejected the claim")
            if changed and open_work_item(
                    conn, claim_id=claim_id, edi_file_id=file_id, source="277CA",
                    reason_code="ACK277CA_REJECTED",
                    explanation=f"{who}: {a.description}",
                    details={"statuses": [s.to_dict() for s in a.statuses], "rejected_by": detail["rejected_by"]},
                    dedupe_key=key):
                res.work_items += 1
        elif level == "payer_accepted":
            changed = set_status(conn, claim_id, "accepted", actor=actor, event_type="ack_277ca",
                                 source_file_id=file_id, detail=detail, dedupe_key=key)
            res.count("accepted", changed)
            if changed and a.payer_claim_control_number:
                conn.execute(query("responses", "set_payer_ccn"),
                             {"claim_id": claim_id, "pccn": a.payer_claim_control_number})
        elif level == "clearinghouse":
            # received, not accepted: a submitted claim becomes acknowledged (as after a 999) and waits
            # for the payer. Any later status - acknowledged, accepted, or rejected by the payer in a file
            # read first - stays: the receipt is recorded as an event that changes nothing.
            if hit[1] != "submitted":
                record_event(conn, claim_id, "ack_277ca_clearinghouse", actor=actor, source_file_id=file_id,
                          detail=detail, dedupe_key=key)
            else:
                changed = set_status(conn, claim_id, "acknowledged", actor=actor,
                                     event_type="ack_277ca_clearinghouse", source_file_id=file_id,
                                     detail=detail, dedupe_key=key)
                res.count("acknowledged", changed)
        else:
            record_event(conn, claim_id, "ack_277ca_info", actor=actor, source_file_id=file_id, detail=detail,
                      dedupe_key=key)
    return res


# 277 categories (507) → claim status; A0/A1 are receipt, not acceptance (see ack_level);
# finalized answers (F*) wait for the 835 that carries the money
_277_STATUS = {"A0": "acknowledged", "A1": "acknowledged", "A2": "accepted", "A5": "accepted",
               "P0": "pending", "P1": "pending", "P2": "pending", "P3": "pending", "P4": "pending", "P5": "pending",
               "R0": "pending", "R1": "pending", "R3": "pending"}


def apply_277(conn, file_id: int, data: bytes, *, actor: str, file_name: str | None = None,
              result: AckResult | None = None) -> AckResult:
    res = result or AckResult()
    answers = parse_277(data, file_name)
    record_slices(conn, file_id, scan_slices(data, "277"))       # each claim's loop, for the UI
    # TRN02 is the 276 trace (our claim number); REF*EJ carries it too
    claims = _claims_by_number(conn, {a.claim_id for a in answers} | {a.patient_account_number for a in answers
                                                                         if a.patient_account_number})
    for a in answers:
        hit = claims.get(a.claim_id) or claims.get(a.patient_account_number or "")
        if hit is None:
            res.unmatched += 1
            continue
        claim_id = hit[0]
        key = f"277:{file_id}:{claim_id}"
        detail = {"category": a.category, "status_code": a.status_code, "description": a.description}
        target = _277_STATUS.get(a.category)
        if target:
            changed = set_status(conn, claim_id, target, actor=actor, event_type="status_277",
                                 source_file_id=file_id, detail=detail, dedupe_key=key)
            res.count(target, changed)
            if changed and a.payer_claim_control_number:
                conn.execute(query("responses", "set_payer_ccn"),
                             {"claim_id": claim_id, "pccn": a.payer_claim_control_number})
        else:
            record_event(conn, claim_id, "status_277", actor=actor, source_file_id=file_id, detail=detail,
                      dedupe_key=key)
            if a.category in ("A3", "A4", "A6", "A7", "A8", "E0", "E3", "E4", "D0") and open_work_item(
                    conn, claim_id=claim_id, edi_file_id=file_id, source="277", reason_code="STATUS_277_" + a.category,
                    explanation=f"claim status inquiry answered: {a.description}",
                    details={"statuses": [s.to_dict() for s in a.statuses]}, dedupe_key=key):
                res.work_items += 1
    return res


_APPLIERS = {"999": apply_999, "277CA": apply_277ca, "277": apply_277}


def apply_pending_responses(conn, *, actor: str) -> dict:
    """Apply every stored 999/277CA/277, oldest first; one transaction per file."""
    res = AckResult()
    conn.commit()
    files = conn.execute(query("responses", "pending_acks")).fetchall()
    conn.commit()                        # each file below is its own (outermost) transaction
    for file_id, name, ttype, content, partner in files:
        res.files += 1
        try:
            with conn.transaction():
                if ttype == "unknown":
                    raise X12Error("not a readable X12 999/277CA/277/835/271 file (no ISA/GS/ST found)",
                                   file=name)
                if ttype == "999":
                    apply_999(conn, file_id, bytes(content), actor=actor, file_name=name,
                              trading_partner=partner, result=res)
                else:
                    _APPLIERS[ttype](conn, file_id, bytes(content), actor=actor, file_name=name, result=res)
                conn.execute(query("responses", "mark_file"), {"state": "applied", "error": None,
                                                               "file_id": file_id})
        except X12Error as exc:
            error = str(exc) if exc.file else f"{name}: {exc}"
            res.quarantined += 1
            log.warning("file %s quarantined: %s", file_id, error)
            with conn.transaction():
                conn.execute(query("responses", "mark_file"), {"state": "quarantined", "error": error,
                                                               "file_id": file_id})
    conn.commit()
    return res.to_dict()
