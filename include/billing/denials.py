"""Denial management: classify each denied adjudication by CARC/RARC and route it.

One work item per denied claim payment (dedupe key 'denial:<claim_payment_id>', reason
'CARC_<group>-<code>' of the largest denied amount), by the code table's action:

- correct   → an open correction item; when a person corrects the claim and releases the item
              (include.billing.workqueue.correct + release), a frequency-7 replacement (version + 1,
              replaces_claim_id, REF*F8 = the payer's claim control number) is created 'ready' and
              the old claim goes to 'replaced'. Items resolved after a correction but not released
              are replaced by `create_replacements`.
- appeal    → an appeal packet (HTML letter from a Jinja2 template, PDF when Chromium is here)
              and the appeal deadline as the item's due date.
- write_off → a policy write-off: claim 'written_off' with the reason, the item closed (a denied
              line of a partially paid claim is written off alone; the claim stays partially paid).
- patient   → the patient's balance (already on the patient ledger from posting): an event.

`auto_correct_for_demo` plays the billing clerk so that the demo's cycle closes.
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
from .acknowledgments import add_event, add_work_item
from .carc import Classification, classify
from .rcm_sql import query

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def appeal_days() -> int:
    return int(os.environ.get("BILLING_APPEAL_DAYS", "90"))


def correction_days() -> int:
    return int(os.environ.get("BILLING_CORRECTION_DAYS", "30"))


@dataclass
class RouteResult:
    routed: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    appeal_packets: int = 0
    written_off: int = 0

    def to_dict(self) -> dict:
        return {"routed": self.routed, "by_action": dict(self.by_action), "appeal_packets": self.appeal_packets,
                "written_off": self.written_off}


def _write_off_reason(c: Classification) -> tuple[str, str]:
    if c.category == "timely filing":
        return "timely_filing", ""
    if c.category in ("bundling", "duplicate", "eligibility", "medical necessity"):
        return "non_covered", ""
    return "administrative", f"policy write-off of {c.group}-{c.carc} ({c.category})"


def route_denials(conn, *, actor: str, today: dt.date | None = None, appeal_dir: Path | None = None,
                  pdf: bool = False) -> dict:
    """Route every denied adjudication not routed yet; one transaction per claim payment.

    Appeal letters are written as HTML here; their PDFs are printed afterwards by
    `appeals.print_pending_pdfs` (pdf=True prints inline, one at a time)."""
    today = today or dt.date.today()
    res = RouteResult()
    conn.commit()
    payments = conn.execute(query("denials", "unrouted_payments")).fetchall()
    if not payments:
        return res.to_dict()
    adjs: dict[int, list] = {}
    for cp_id, group, reason, amount, remarks in conn.execute(
            query("denials", "adjustments_of_payments"), {"payment_ids": [p[0] for p in payments]}).fetchall():
        adjs.setdefault(cp_id, []).append((group, reason, amount, list(remarks or [])))
    conn.commit()
    for cp_id, claim_id, status, claim_number, pay_date, paid, charge, pccn in payments:
        denied = []
        for group, reason, amount, remarks in adjs.get(cp_id, []):
            c = classify(group, reason, remarks)
            if c.is_denial and amount > 0:
                denied.append((amount, c))
        if not denied:
            continue
        # the largest denied amount names the item; every code is in the details
        totals: dict[tuple, Decimal] = {}
        first: dict[tuple, Classification] = {}
        for amount, c in denied:
            key = (c.group, c.carc)
            totals[key] = totals.get(key, ZERO) + amount
            first.setdefault(key, c)
        main_key = max(totals, key=lambda k: (totals[k], -list(totals).index(k)))
        main = first[main_key]
        denied_amount = sum(totals.values(), ZERO)
        due = (pay_date or today) + dt.timedelta(days=appeal_days() if main.action == "appeal"
                                                 else correction_days())
        details = {"action": main.action, "category": main.category, "claim_payment_id": cp_id,
                   "denied_amount": f"{denied_amount:.2f}",
                   "codes": [{"code": f"{c.group}-{c.carc}", "rarcs": list(c.rarcs), "amount": f"{totals[k]:.2f}",
                              "category": c.category, "action": c.action} for k, c in first.items()]}
        with conn.transaction():
            item_id = add_work_item(conn, claim_id=claim_id, edi_file_id=None, source="denial",
                                    reason_code=main.reason_code, explanation=main.explanation(),
                                    details=details, dedupe_key=f"denial:{cp_id}", due_date=due)
            if item_id is None:
                continue
            res.routed += 1
            res.by_action[main.action] = res.by_action.get(main.action, 0) + 1
            add_event(conn, claim_id, "denial_routed", actor=actor,
                      detail={"work_item_id": item_id, "action": main.action, "reason_code": main.reason_code},
                      dedupe_key=f"denial_routed:{cp_id}")
            if main.action == "appeal":
                from .appeals import build_appeal_packet

                packet = build_appeal_packet(conn, item_id, out_dir=appeal_dir, pdf=pdf, today=today)
                conn.execute(query("denials", "set_item_details"),
                             {"item_id": item_id, "details": json.dumps({"appeal_packet": packet})})
                add_event(conn, claim_id, "appeal_packet", actor=actor,
                          detail={"work_item_id": item_id, "deadline": due.isoformat(),
                                  "files": [Path(p).name for p in packet["files"]]},
                          dedupe_key=f"appeal_packet:{item_id}")
                res.appeal_packets += 1
            elif main.action == "write_off" and status == "partially_paid":
                # a denied line of a paid claim: write off that balance, the claim stays paid
                reason, note = _write_off_reason(main)
                conn.execute(query("denials", "close_item"),
                             {"item_id": item_id, "state": "written_off", "actor": actor})
                add_event(conn, claim_id, "line_written_off", actor=actor,
                          detail={"work_item_id": item_id, "reason": reason, "amount": f"{denied_amount:.2f}",
                                  "codes": [c["code"] for c in details["codes"]]},
                          dedupe_key=f"line_written_off:{cp_id}")
                res.written_off += 1
            elif main.action == "write_off":
                reason, note = _write_off_reason(main)
                try:
                    workqueue.write_off(conn, item_id, reason, actor=actor, note=note)
                    res.written_off += 1
                except workqueue.ActionError as exc:      # e.g. the claim moved on meanwhile
                    log.info("claim %s not written off: %s", claim_id, exc)
            elif main.action == "patient":
                add_event(conn, claim_id, "patient_balance", actor=actor,
                          detail={"work_item_id": item_id, "amount": f"{denied_amount:.2f}"},
                          dedupe_key=f"patient_balance:{cp_id}")
    return res.to_dict()


def create_replacements(conn, *, actor: str) -> dict:
    """Replacement claims for denial items resolved after a correction but not released."""
    made = 0
    conn.commit()
    for item_id, claim_id in conn.execute(query("denials", "corrected_unreleased")).fetchall():
        with conn.transaction():
            try:
                workqueue.create_replacement_claim(conn, claim_id, actor=actor,
                                                   detail={"work_item_id": item_id, "via": "resolved_correction"})
                made += 1
            except workqueue.ActionError as exc:
                log.info("no replacement for claim %s: %s", claim_id, exc)
    return {"replacements": made}


def auto_correct_for_demo(conn, actor: str, limit: int | None = None) -> int:
    """Correct open correction items as a billing clerk would, then release them (replacement
    claims, 'ready' for the next 837). Returns how many claims were corrected and released.

    What the clerk does, by category: coding / missing information → review the procedure
    line and add the modifier the payer asked for (25 on an E/M line, 59 otherwise); coordination
    of benefits → confirm the coverage order (the primary's member id is re-entered as is);
    eligibility → the same; anything else → re-check the diagnosis pointers.
    """
    done = 0
    conn.commit()
    rows = conn.execute(query("denials", "open_correctable"), {"limit": limit or 1_000_000}).fetchall()
    conn.commit()
    for item_id, claim_id, reason_code, category in rows:
        try:
            with conn.transaction():
                line = conn.execute(query("denials", "first_line"), {"claim_id": claim_id}).fetchone()
                if line is not None and category in ("coding", "missing information", "bundling"):
                    number, code, mods = line
                    mods = list(mods or [])
                    add = "25" if code.startswith("992") else "59"
                    if add not in mods and len(mods) < 4:
                        mods.append(add)
                    workqueue.correct(conn, item_id, "modifiers", ",".join(mods), actor=actor, line_number=number)
                elif line is not None:
                    workqueue.correct(conn, item_id, "dx_pointers", "1", actor=actor, line_number=line[0])
                workqueue.release(conn, item_id, actor=actor)
            done += 1
        except workqueue.ActionError as exc:
            log.info("demo clerk skipped item %s (%s): %s", item_id, reason_code, exc)
    return done
