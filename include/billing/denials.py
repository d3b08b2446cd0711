"""Denial management: route each denied adjudication by the routing table, and act on it.

A denial comes in at claim level (the whole CLP denied) or line level (one SVC adjusted in full on
a paid claim); the adjustment with the largest denied amount chooses the route
(include.billing.routing, the table include/billing/codes/denial_routes.csv). One work item per
denied claim payment (dedupe key 'denial:<claim_payment_id>', reason 'CARC_<group>-<code>'),
whose details carry the route: action, category, next step, reason and its source. By action:

- correct_and_replace → an open correction item naming the field to fix; when a person corrects it
              and releases the item (include.billing.workqueue.correct + release), a frequency-7
              replacement (REF*F8) goes through the scrubber and, clean, to 'ready'.
- new_claim   → an open item; release makes a frequency-1 claim to the visit's payer of that
              responsibility (after COB rows' coverage item is resolved: the coverage order is
              checked and updated first), scrubbed like every corrected claim.
- appeal      → an appeal packet (letter, evidence list; for CO-29 the 999/277CA proof of timely
              filing with the acknowledgments attached) and the appeal deadline as due date.
- write_off   → a write-off with the row's adjustment reason (a denied line of a paid claim alone).
- bill_patient→ PR only: the amount is on the patient ledger already; an event, the item resolved.
- follow_up   → an open item with a due date (e.g. a duplicate: check the original claim).

CO-29 (timely filing) is routed 'filed_in_time' when a 999 or 277CA of any version of the claim
is dated inside the payer's filing window (from the date of service, or from the prior payer's
835 payment date for a secondary claim), else 'filed_late'.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import workqueue
from .carc import Classification, classify
from .ledger import close_work_item, open_work_item, record_event, update_work_item
from .rcm_sql import run
from .routing import Route, needs_filing_proof, route

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def correction_days() -> int:
    return int(os.environ.get("BILLING_CORRECTION_DAYS", "30"))


def follow_up_days() -> int:
    return int(os.environ.get("BILLING_FOLLOW_UP_DAYS", "30"))


@dataclass
class RouteResult:
    routed: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    appeal_packets: int = 0
    written_off: int = 0
    coverage_items: int = 0

    def to_dict(self) -> dict:
        return {"routed": self.routed, "by_action": dict(self.by_action), "appeal_packets": self.appeal_packets,
                "written_off": self.written_off, "coverage_items": self.coverage_items}


@dataclass(frozen=True)
class DeniedAdjustment:
    """One denied adjustment of a claim payment: claim level or line level."""

    level: str                 # 'claim' or 'line'
    group: str
    carc: str
    rarcs: tuple[str, ...]
    amount: Decimal


# --- timely filing ------------------------------------------------------------------------

def _ack_facts(content: bytes, transaction_type: str, claim_number: str) -> dict:
    """Date and control numbers of an acknowledgment file (ISA13, GS06, ST02; 277CA DTP*050 receipt)."""
    from include.edi.registry import acknowledgment_facts

    facts = acknowledgment_facts(bytes(content), claim_number, status_response=transaction_type.startswith("277"))
    raw = facts.get("received") or facts.get("date") or ""
    try:
        facts["date"] = dt.datetime.strptime(raw[:8], "%Y%m%d").date() if len(raw) >= 8 else None
    except ValueError:
        facts["date"] = None
    return facts


def filing_window(conn, claim_id: int) -> tuple[dt.date, int, str]:
    """(window start, filing limit in days, what the start is) of a claim."""
    from .deadlines import payer_deadlines

    w = run(conn, "denials", "filing_window", {"claim_id": claim_id}).fetchone()
    days = payer_deadlines(w.timely_filing_days, w.claim_filing_indicator).timely_filing_days
    if w.responsibility != "P" and w.prior_payer_paid_on is not None:
        return w.prior_payer_paid_on, days, "prior payer's 835 payment date"
    return w.date_of_service, days, "date of service"


def filing_proof(conn, claim_id: int) -> dict:
    """What our records show about when the claim reached the clearinghouse or payer.

    Returns {"deadline", "window_start", "window_from", "limit_days", "acknowledgments": [...],
    "in_time": bool}; each acknowledgment has its type, file, date and control numbers."""
    start, days, start_from = filing_window(conn, claim_id)
    deadline = start + dt.timedelta(days=days)
    acks = []
    for a in run(conn, "denials", "filing_proof", {"claim_id": claim_id}).fetchall():
        number, file_id, file_name, ttype, content = a.claim_number, a.file_id, a.file_name, a.transaction_type, a.content
        detail = a.detail if isinstance(a.detail, dict) else json.loads(a.detail or "{}")
        if ttype.startswith("277") and not str(detail.get("category", "A")).startswith("A"):
            continue
        if ttype.startswith("277") and detail.get("category") in ("A3", "A4", "A6", "A7", "A8"):
            continue          # a rejection is no proof of receipt into adjudication
        facts = _ack_facts(content, ttype, number)
        if facts.get("date") is None:
            continue
        acks.append({"type": ttype, "claim_number": number, "file_id": file_id, "file_name": file_name,
                     "date": facts["date"].isoformat(), "status": detail.get("category") or detail.get("ik5"),
                     "interchange_control_number": facts.get("interchange_control_number"),
                     "group_control_number": facts.get("group_control_number"),
                     "transaction_control_number": facts.get("transaction_control_number")})
    in_time = any(dt.date.fromisoformat(a["date"]) <= deadline for a in acks)
    return {"deadline": deadline.isoformat(), "window_start": start.isoformat(), "window_from": start_from,
            "limit_days": days, "acknowledgments": acks, "in_time": in_time}


# --- routing ------------------------------------------------------------------------------

def _denied_adjustments(adjs: list[tuple], paid: Decimal) -> list[DeniedAdjustment]:
    """The denied adjustments of one claim payment.

    CO/OA/PI adjustments the code table counts as denials (not contractual CO-45, not OA-23); PR
    adjustments only when the payer paid nothing and denied nothing else (the patient owes all)."""
    out, pr = [], []
    for group, reason, amount, remarks, line_id in adjs:
        if amount <= 0:
            continue
        d = DeniedAdjustment("line" if line_id is not None else "claim", group, reason, tuple(remarks), amount)
        if group == "PR":
            pr.append(d)
        elif classify(group, reason, remarks).action not in ("contractual", "info"):
            out.append(d)      # CO/OA/PI: the provider's loss unless the contract says so (CO-45, OA-23)
    if not out and paid == 0:
        out = pr
    return out


def choose(denied: list[DeniedAdjustment]) -> DeniedAdjustment:
    """The adjustment that names the denial: the largest total per (group, CARC), first on ties."""
    totals: dict[tuple, Decimal] = {}
    first: dict[tuple, DeniedAdjustment] = {}
    for d in denied:
        k = (d.group, d.carc)
        totals[k] = totals.get(k, ZERO) + d.amount
        first.setdefault(k, d)
    main = max(totals, key=lambda k: (totals[k], -list(totals).index(k)))
    return first[main]


def route_denial(conn, claim_id: int, d: DeniedAdjustment) -> tuple[Route, dict | None]:
    """The route of a denial; for CO-29 with the filing proof that chose it."""
    proof = None
    condition = ""
    if needs_filing_proof(d.carc):
        proof = filing_proof(conn, claim_id)
        condition = "filed_in_time" if proof["in_time"] else "filed_late"
    return route(d.group, d.carc, d.rarcs, condition=condition), proof


def _coverage_item_text(r: Route) -> str:
    return (f"{r.group}-{r.carc}{'/' + r.rarc if r.rarc else ''}: check the visit's coverage order before a new "
            "claim goes out: which plan was primary on the date of service (insurance card, the 271's "
            "other-payer loop, the patient), the member id and dates of each policy; update the policy "
            "priorities in the practice-management system, then resolve this item.")


def route_denials(conn, *, actor: str, today: dt.date | None = None, appeal_dir: Path | None = None,
                  pdf: bool = False) -> dict:
    """Route every denied adjudication not routed yet; one transaction per claim payment.

    Appeal letters are written as HTML here; their PDFs are printed afterwards by
    `appeals.print_pending_pdfs` (pdf=True prints inline, one at a time)."""
    today = today or dt.date.today()
    res = RouteResult()
    conn.commit()
    payments = run(conn, "denials", "unrouted_payments").fetchall()
    if not payments:
        return res.to_dict()
    adjs: dict[int, list] = {}
    for a in run(conn, "denials", "adjustments_of_payments",
                 {"payment_ids": [p.claim_payment_id for p in payments]}).fetchall():
        adjs.setdefault(a.claim_payment_id, []).append((a.group_code, a.reason_code, a.amount,
                                                        list(a.remark_codes or []), a.line_payment_id))
    conn.commit()
    for p in payments:
        cp_id, claim_id, status, pay_date = p.claim_payment_id, p.claim_id, p.status, p.payment_date
        denied = _denied_adjustments(adjs.get(cp_id, []), p.paid)
        if not denied:
            continue
        main = choose(denied)
        with conn.transaction():
            r, proof = route_denial(conn, claim_id, main)
            res.routed += _act(conn, res, r, proof, main, denied, cp_id=cp_id, claim_id=claim_id, status=status,
                               pay_date=pay_date or today, today=today, actor=actor, appeal_dir=appeal_dir, pdf=pdf)
    return res.to_dict()


def _act(conn, res: RouteResult, r: Route, proof: dict | None, main: DeniedAdjustment,
         denied: list[DeniedAdjustment], *, cp_id: int, claim_id: int, status: str, pay_date: dt.date,
         today: dt.date, actor: str, appeal_dir, pdf: bool) -> int:
    from .deadlines import claim_payer_deadlines

    denied_amount = sum((d.amount for d in denied), ZERO)
    windows = claim_payer_deadlines(conn, claim_id)
    if r.action == "appeal":
        due = windows.first_level_deadline(pay_date)
    elif r.action == "follow_up":
        due = pay_date + dt.timedelta(days=follow_up_days())
    else:
        due = pay_date + dt.timedelta(days=correction_days())
    codes: dict[tuple, dict] = {}
    for d in denied:
        c = codes.setdefault((d.group, d.carc), {"code": f"{d.group}-{d.carc}", "rarcs": list(d.rarcs),
                                                 "amount": ZERO, "level": d.level})
        c["amount"] += d.amount
    main_c: Classification = classify(main.group, main.carc, main.rarcs)
    details = {**r.to_dict(), "claim_payment_id": cp_id, "level": main.level, "denied_amount": f"{denied_amount:.2f}",
               "codes": [{**c, "amount": f"{c['amount']:.2f}"} for c in codes.values()]}
    if proof is not None:
        details["filing_proof"] = proof
    if r.action == "appeal":
        details["appeal_windows"] = {
            "notice_date": pay_date.isoformat(), "first_level_deadline": due.isoformat(),
            "first_level_days": windows.appeal_first_days, "receipt_presumption_days": windows.receipt_presumption_days,
            "second_level_days": windows.appeal_second_days,
            "second_level_from": "receipt of the first-level decision", "source": windows.source}
    explanation = f"{main_c.explanation()} → {r.action.replace('_', ' ')}: {r.next_step}"
    item_id = open_work_item(conn, claim_id=claim_id, edi_file_id=None, source="denial",
                            reason_code=f"CARC_{main.group}-{main.carc}", explanation=explanation,
                            details=details, dedupe_key=f"denial:{cp_id}", due_date=due)
    if item_id is None:
        return 0
    res.by_action[r.action] = res.by_action.get(r.action, 0) + 1
    record_event(conn, claim_id, "denial_routed", actor=actor,
              detail={"work_item_id": item_id, "action": r.action, "route": r.key, "level": main.level,
                      "reason_code": f"CARC_{main.group}-{main.carc}"},
              dedupe_key=f"denial_routed:{cp_id}")
    if r.opens_coverage_item and open_work_item(
            conn, claim_id=claim_id, edi_file_id=None, source="denial", reason_code="COB_COVERAGE_ORDER",
            explanation=_coverage_item_text(r), details={"denial_work_item_id": item_id, "route": r.key,
                                                         "checks": ["primary payer on the date of service",
                                                                    "member id and dates of each policy",
                                                                    "policy priorities in the PM system"]},
            dedupe_key=f"cob:{cp_id}", due_date=due):
        res.coverage_items += 1
    if r.action == "appeal":
        from .appeals import build_appeal_packet

        packet = build_appeal_packet(conn, item_id, out_dir=appeal_dir, pdf=pdf, today=today)
        update_work_item(conn, item_id, {"appeal_packet": packet})
        record_event(conn, claim_id, "appeal_packet", actor=actor,
                  detail={"work_item_id": item_id, "deadline": due.isoformat(), "evidence": list(r.evidence),
                          "files": [Path(p).name for p in packet["files"]],
                          "attachments": [Path(p).name for p in packet.get("attachments", [])]},
                  dedupe_key=f"appeal_packet:{item_id}")
        res.appeal_packets += 1
    elif r.action == "write_off" and status == "partially_paid":
        # a denied line of a paid claim: write off that balance, the claim stays paid
        close_work_item(conn, item_id, resolution="written_off", actor=actor)
        record_event(conn, claim_id, "line_written_off", actor=actor,
                  detail={"work_item_id": item_id, "reason": r.write_off_reason, "amount": f"{denied_amount:.2f}",
                          "codes": [c["code"] for c in details["codes"]], "route": r.key},
                  dedupe_key=f"line_written_off:{cp_id}")
        res.written_off += 1
    elif r.action == "write_off":
        try:
            workqueue.write_off(conn, item_id, r.write_off_reason, actor=actor, note=f"{r.key}: {r.reason}")
            res.written_off += 1
        except workqueue.ActionError as exc:      # e.g. the claim moved on meanwhile
            log.info("claim %s not written off: %s", claim_id, exc)
    elif r.action == "bill_patient":
        record_event(conn, claim_id, "patient_balance", actor=actor,
                  detail={"work_item_id": item_id, "amount": f"{denied_amount:.2f}", "route": r.key},
                  dedupe_key=f"patient_balance:{cp_id}")
        close_work_item(conn, item_id, resolution="resolved", actor=actor)
    return 1


def create_replacements(conn, *, actor: str, today: dt.date | None = None) -> dict:
    """Replacement claims for denial items resolved after a correction but not released."""
    made = 0
    conn.commit()
    for w in run(conn, "denials", "corrected_unreleased").fetchall():
        item_id, claim_id = w.id, w.claim_id
        make = workqueue.create_new_claim if w.action == "new_claim" else workqueue.create_replacement_claim
        with conn.transaction():
            try:
                make(conn, claim_id, actor=actor, detail={"work_item_id": item_id, "via": "resolved_correction"},
                     today=today)
                made += 1
            except workqueue.ActionError as exc:
                log.info("no replacement for claim %s: %s", claim_id, exc)
    return {"replacements": made}
