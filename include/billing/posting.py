"""835 remittance posting: match, check, and post each payment run in one transaction.

For every 835 transaction set (one payer's payment run):

1. balance it (include.edi.balance) and match every CLP01 to a claim (a later payer's answer,
   CLP02 2/3, that names the primary's claim number belongs to the visit's secondary/tertiary
   claim, as after a Medicare crossover); a transaction that does not balance, has unmatched
   claims, or reverses a payment never posted is HELD (remittances.state 'held' + held_reason,
   a work item) and nothing of it is posted;
2. otherwise, in ONE transaction: the remittance row (unique payer + trace: the same 835
   twice posts nothing), claim payments, line payments (REF*6R, else procedure code +
   service date), adjustments (group, CARC, amount, RARC), claim statuses through
   `set_status` (what "denied" means: `claim_status_for`), the next payer (a secondary claim
   carrying the primary's 2320/2430, a crossover follow-up, or a secondary kept in step with a
   re-adjudicated primary), PLB applied (`_apply_plb`), and the patient ledger moved to what
   each visit's account now says the patient owes (include.billing.accounts: the last payer's
   CLP05; a PR pending another payer is not the patient's yet);
3. a reversal (CLP02=22) takes back the earlier payment exactly (its amounts are negative);
   the corrected CLP that follows posts again, and the ledger moves by the difference.

A file that cannot be parsed, or holds an amount that cannot be money, is quarantined with
the reason (file, segment, element); the rest of the batch goes on. The payment rows are staged
here and written set-based by the ledger (include.billing.ledger.remittance: COPY, ids reserved
up front). A big file (a payer's 100 MB run) is checked whole, then
parsed and posted one transaction set at a time: memory holds one set, not the file.
Rules and sources: docs/accounts.md.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from psycopg.rows import namedtuple_row

from include.edi.balance import balance_835
from include.edi.errors import X12Error
from include.edi.x835 import Remittance835, iter_835

from .accounts import ledger_deltas, load_accounts
from .carc import is_denial
from .clock import SETTING as CLOCK_SETTING
from .edi_slices import posted_835_rows
from .ledger import (
    close_superseded_denial_items,
    close_work_items,
    open_work_item,
    record_event,
    record_secondaries_created,
)
from .ledger.remittance import (
    AdjustmentRow,
    ClaimPaymentRow,
    LinePaymentRow,
    ProviderAdjustmentRow,
    RemittanceRows,
    copy_rows,
    record_patient_entries,
    record_payments,
    record_provider_adjustments,
    reserve_ids,
)
from .rcm_sql import query, run
from .runs import SETTINGS as RUN_SETTINGS
from .status import set_status, set_statuses

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")
ENVELOPE_INTEGRITY = {"se01_count", "se02_control", "missing_se"}


@dataclass
class PostingResult:
    files: int = 0
    quarantined: int = 0
    remittances_posted: int = 0
    remittances_held: int = 0
    remittances_duplicate: int = 0
    claims_posted: int = 0
    paid_total: Decimal = ZERO
    secondary_claims: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"files": self.files, "quarantined": self.quarantined,
                "remittances_posted": self.remittances_posted, "remittances_held": self.remittances_held,
                "remittances_duplicate": self.remittances_duplicate, "claims_posted": self.claims_posted,
                "paid_total": f"{self.paid_total:.2f}", "secondary_claims": self.secondary_claims,
                "errors": list(self.errors)}


PROCESSED_AS = {"2": "S", "20": "S", "3": "T", "21": "T"}    # CLP02 of a later payer's adjudication
FORWARDED = frozenset({"19", "20", "21"})                      # processed, forwarded to the next payer
CROSSOVER_REMARKS = frozenset({"MA18", "N89"})                 # "claim forwarded to the supplemental payer"
RECOUPMENT_PLB = frozenset({"WO", "72", "J1"})
NEXT_LEVEL = {"P": "S", "S": "T"}                              # who is billed after whom


def _pr_total(clp) -> Decimal:
    if clp.patient_responsibility is not None:
        return clp.patient_responsibility
    return sum((a.amount for a in _all_adjustments(clp) if a.group == "PR"), ZERO)


def _all_adjustments(clp):
    return list(clp.adjustments) + [a for ln in clp.lines for a in ln.adjustments]


def _denied_amount(adjustments) -> Decimal:
    """What adjustments take off for reasons that are not contractual reductions or the patient's
    share (CO-16, CO-97, CO-29 …; not CO-45, CO-253, OA-23, PR-anything)."""
    return sum((a.amount for a in adjustments if a.group != "PR" and is_denial(a.group, a.reason)), ZERO)


def claim_status_for(clp) -> str:
    """The claim status an adjudicated CLP means (not for reversals).

    Denied: CLP02=4, or the payer paid nothing and allowed nothing (no PR) and what it did not pay
    carries reasons that are not contractual. A claim whose allowed amount all went to the
    patient (deductible, copay) is processed, not denied. A denied or bundled line on a paid
    claim (e.g. CO-97) is a line denial: the claim is partially paid.
    """
    if clp.status_code == "4":
        return "denied"
    if clp.paid <= 0 and _pr_total(clp) == 0 and _denied_amount(_all_adjustments(clp)) > 0:
        return "denied"
    return "partially_paid" if _denied_amount(_all_adjustments(clp)) > 0 else "paid"


def is_crossover(clp) -> bool:
    """The payer forwarded the claim to the next payer itself (Medicare crossover)."""
    return clp.status_code in FORWARDED or bool(CROSSOVER_REMARKS & set(clp.remark_codes))


def _rows(conn, name: str, params=None) -> list:
    """The rows of posting's query `name`, as named tuples (never unpacked by position)."""
    return run(conn, "posting", name, params).fetchall()


def _row(conn, name: str, params=None):
    """The first row of posting's query `name` as a named tuple, None when there is none."""
    return run(conn, "posting", name, params).fetchone()


def _copy(conn, name: str, rows) -> None:
    copy_rows(conn, query("posting", name), rows)


def _payer_identifier(r: Remittance835) -> str:
    return (r.payer_trace_id or r.payer_id or r.payer_name or "UNKNOWN")[:80]


def _match_lines(clp, claim_lines: list, by_lcn: dict) -> list[int | None]:
    """claim_line id per SVC: REF*6R first (all of them, so that a fallback never takes a line
    another SVC names); then, for SVCs without a usable REF*6R (payers that drop it), the first
    unused line of this claim with the code we billed (SVC06 when the payer re-coded the line,
    else SVC01), the same modifiers and the same service date; then the same without modifiers
    (payers that drop or change them). `claim_lines` are lines_for_claims rows of the claim."""
    used: set[int] = set()
    out: list[int | None] = [None] * len(clp.lines)
    claim_ids = {ln.claim_id for ln in claim_lines}
    for i, svc in enumerate(clp.lines):
        hit = by_lcn.get(svc.line_control_number) if svc.line_control_number else None
        if hit is not None and hit.claim_id in claim_ids and hit.id not in used:
            used.add(hit.id)
            out[i] = hit.id
    for with_modifiers in (True, False):
        for i, svc in enumerate(clp.lines):
            if out[i] is not None:
                continue
            billed = svc.original_procedure or svc.procedure_code
            for ln in claim_lines:
                if ln.id in used or ln.procedure_code != billed:
                    continue
                if with_modifiers and sorted(ln.modifiers or []) != sorted(svc.modifiers or []):
                    continue
                if svc.service_date is None or ln.service_date == svc.service_date:
                    used.add(ln.id)
                    out[i] = ln.id
                    break
    return out


def _match_claims(conn, r: Remittance835) -> tuple[list[tuple | None], list[str]]:
    """The claim row each CLP adjudicates, and problems. CLP01 is our claim number; a later payer's
    adjudication (CLP02 2/3, 20/21) that names the primary's claim number, as a crossover payer
    does, belongs to the visit's secondary (tertiary) claim."""
    numbers = sorted({c.claim_id for c in r.claims})
    by_number = {row.claim_number: row for row in _rows(conn, "claims_for_remittance", {"claim_numbers": numbers})}
    redirect = {by_number[c.claim_id].visit_id for c in r.claims
                if c.claim_id in by_number and c.status_code in PROCESSED_AS
                and PROCESSED_AS[c.status_code] != by_number[c.claim_id].responsibility}
    levels = {}
    if redirect:
        levels = {(row.visit_id, row.responsibility): row
                  for row in _rows(conn, "level_claims", {"visit_ids": sorted(redirect)})}
    matched, problems, unmatched, no_level = [], [], [], []
    for c in r.claims:
        row = by_number.get(c.claim_id)
        if row is None:
            unmatched.append(c.claim_id)
        elif c.status_code in PROCESSED_AS and row.responsibility != PROCESSED_AS[c.status_code]:
            row = levels.get((row.visit_id, PROCESSED_AS[c.status_code]))
            if row is None:
                no_level.append(c.claim_id)
        matched.append(row)
    if unmatched:
        problems.append(f"{len(unmatched)} claim(s) not found: {', '.join(sorted(set(unmatched))[:10])}")
    if no_level:
        problems.append(f"adjudicated as a later payer but the visit has no such claim: {', '.join(no_level[:10])}")
    return matched, problems


def post_remittance(conn, file_id: int, index: int, r: Remittance835, *, actor: str,
                    file_name: str | None = None, result: PostingResult | None = None) -> str:
    """Post (or hold) one 835 transaction set in the caller's transaction.

    Returns 'posted', 'held' or 'duplicate'.
    """
    payer = _payer_identifier(r)
    trace = r.trace_number or f"file{file_id}-{index}"
    if _row(conn, "remittance_by_trace", {"payer_identifier": payer, "trace_number": trace}):
        return "duplicate"

    problems = [f.message for f in balance_835(r, file_name) if f.severity == "error"]
    problems += [str(f) for f in r.findings if f.severity == "error"]
    # envelope counts that don't add up mean segments were lost or added: money waits for a person
    problems += [f"{f.message}: the file may be cut or altered" for f in r.findings
                 if f.code in ENVELOPE_INTEGRITY]
    matched, match_problems = _match_claims(conn, r)
    problems += match_problems
    reversal_ids = sorted({row.id for c, row in zip(r.claims, matched) if c.is_reversal and row})
    to_reverse = {p.claim_id: p.id for p in _rows(conn, "payments_to_reverse", {"claim_ids": reversal_ids})
                  } if reversal_ids else {}
    missing_rev = [c.claim_id for c, row in zip(r.claims, matched)
                   if c.is_reversal and row and row.id not in to_reverse]
    if missing_rev:
        problems.append(f"reversal of a payment never posted: {', '.join(missing_rev[:10])}")

    base = {"edi_file_id": file_id, "transaction_index": index, "payer_identifier": payer,
            "trace_number": trace, "payment_amount": r.payment_amount, "payment_method": r.payment_method,
            "payment_date": r.payment_date}
    if problems:
        reason = "; ".join(problems)[:2000]
        row = _row(conn, "insert_remittance", {**base, "state": "held", "held_reason": reason})
        if row is None:
            return "duplicate"
        open_work_item(conn, claim_id=None, edi_file_id=file_id, source="remittance",
                      reason_code="REMIT_UNMATCHED" if match_problems or missing_rev else "REMIT_UNBALANCED",
                      explanation=f"835 trace {trace} held for review, nothing posted: {reason}"[:2000],
                      details={"remittance_id": row.id, "trace_number": trace, "problems": problems[:50]},
                      dedupe_key=f"remit:{payer}:{trace}")
        log.warning("835 file %s set %s held: %s", file_id, index, reason[:300])
        return "held"

    row = _row(conn, "insert_remittance", {**base, "state": "posted", "held_reason": None})
    if row is None:
        return "duplicate"
    remittance_id = row.id
    # these statements run once per remittance on thousands of rows: JIT compiling them costs
    # seconds and saves nothing (until the transaction ends)
    conn.execute("SET LOCAL jit = off")

    claim_ids = sorted({m.id for m in matched})
    lines_by_claim: dict[int, list] = {}
    by_lcn: dict[str, tuple] = {}
    for ln in _rows(conn, "lines_for_claims", {"claim_ids": claim_ids}):
        lines_by_claim.setdefault(ln.claim_id, []).append(ln)
        by_lcn[ln.line_control_number] = ln

    cp_ids = reserve_ids(conn, "claim_payments", len(r.claims))
    lp_ids = reserve_ids(conn, "line_payments", sum(len(c.lines) for c in r.claims))
    staged = RemittanceRows()
    lp_rows, adj_rows = staged.line_payments, staged.adjustments
    status_moves: list[tuple[int, str, int, dict]] = []
    pccn: dict[int, str] = {}
    next_payer: list[tuple] = []        # (claim row, clp, claim payment id) of P and S adjudications
    reversing: dict[int, int] = {}      # claim id → payment id reversed within this remittance
    standing: list[int] = []            # payments that are not reversals

    def claim_payments():
        """Each CLP's claim payment, staging its line payments, adjustments, status move and next
        payer as it goes: consumed by the COPY, so this work overlaps the server's inserts."""
        lp_iter = iter(lp_ids)
        for clp_index, (clp, cp_id, claim) in enumerate(zip(r.claims, cp_ids, matched), start=1):
            claim_id = claim.id
            reverses = None
            if clp.is_reversal:
                reverses = reversing.get(claim_id) or to_reverse[claim_id]
                reversing[claim_id] = reverses
            row = ClaimPaymentRow(cp_id, remittance_id, clp_index, claim_id, clp.status_code, clp.charge, clp.paid,
                                  _pr_total(clp), clp.payer_claim_control_number or None, clp.is_reversal, reverses)
            if clp.payer_claim_control_number and not clp.is_reversal:
                pccn[claim_id] = clp.payer_claim_control_number
            position = 0
            claim_remarks = list(clp.remark_codes)
            for a in clp.adjustments:
                position += 1
                adj_rows.append(AdjustmentRow(cp_id, None, position, a.group, a.reason, a.amount, a.quantity,
                                              claim_remarks))
            line_ids = _match_lines(clp, lines_by_claim.get(claim_id, []), by_lcn)
            for svc_index, (svc, claim_line_id) in enumerate(zip(clp.lines, line_ids), start=1):
                lp_id = next(lp_iter)
                lp_rows.append(LinePaymentRow(lp_id, cp_id, svc_index, claim_line_id, svc.procedure_code[:5],
                                              svc.charge, svc.paid, svc.allowed_amount, svc.units))
                for a in svc.adjustments:
                    position += 1
                    adj_rows.append(AdjustmentRow(cp_id, lp_id, position, a.group, a.reason, a.amount, a.quantity,
                                                  list(svc.remark_codes)))
            if clp.is_reversal:
                new_status = "reversed"
            else:
                standing.append(cp_id)
                new_status = claim_status_for(clp)
                if claim.responsibility in NEXT_LEVEL:
                    next_payer.append((claim, clp, cp_id))
            status_moves.append((claim_id, new_status, clp_index,
                                 {"remittance_id": remittance_id, "clp_index": clp_index, "clp02": clp.status_code,
                                  "paid": f"{clp.paid:.2f}"}))
            yield row

    staged.claim_payments = claim_payments()
    record_payments(conn, staged)
    _copy(conn, "copy_claim_slices", posted_835_rows(file_id, r, matched))   # where each CLP is, for the UI
    set_statuses(conn, [(claim_id, new_status, "remittance_" + new_status, detail,
                         f"835:{remittance_id}:{clp_index}")
                        for claim_id, new_status, clp_index, detail in status_moves],
                 actor=actor, source_file_id=file_id, payer_ccns=pccn)
    # items this run settles: a denial whose adjudication was reversed (a corrected adjudication that
    # denies again is routed anew), and the crossover follow-up of a claim a later payer answered
    settled = [f"denial:{p}" for p in sorted(set(reversing.values()))]
    settled += [f"crossover:{cid}" for cid in sorted({m.id for m in matched if m.responsibility != "P"})]
    if settled:
        close_work_items(conn, resolution="resolved", actor=actor, dedupe_keys=settled)
    close_superseded_denial_items(conn, standing, actor=actor)
    if next_payer:
        made = _next_payer_claims(conn, next_payer, r, lines_by_claim, file_id=file_id, actor=actor)
        if result is not None:
            result.secondary_claims += made
    _apply_plb(conn, r, remittance_id, payer, file_id=file_id, actor=actor)
    visits = sorted({m.visit_id for m in matched})
    record_patient_entries(conn, ledger_deltas(conn, load_accounts(conn, visits), source=f"remit{remittance_id}"))
    return "posted"


def _adj_list(adjs) -> list[list[str]]:
    return [[a.group, a.reason, f"{a.amount:.2f}"] for a in adjs]


def _prior_payer_data(own: list[tuple], claim, clp, cp_id: int, r: Remittance835) -> dict:
    """The primary's adjudication as the secondary's 837 carries it (2320/2330, 2430); `own` are
    the primary claim's lines (lines_for_claims rows)."""
    line_numbers = {ln.id: ln.line_number for ln in own}
    matched = _match_lines(clp, own, {ln.line_control_number: ln for ln in own})
    lines = {}
    for svc, line_id in zip(clp.lines, matched):
        if line_id is None:
            continue
        lines[str(line_numbers[line_id])] = {
            "paid": f"{svc.paid:.2f}", "procedure_code": svc.procedure_code,
            "modifiers": list(svc.modifiers), "units": str(svc.units or 1),
            "adjustments": _adj_list(svc.adjustments)}
    return {"primary_claim_id": claim.id, "claim_payment_id": cp_id, "payer_id": claim.payer_id,
            "payer_identifier": r.payer_id or r.payer_trace_id, "payer_name": r.payer_name,
            "paid": f"{clp.paid:.2f}",
            "adjudication_date": (r.payment_date.isoformat() if r.payment_date else None),
            "claim_adjustments": _adj_list(clp.adjustments), "lines": lines}


def _same_adjudication(a: dict | None, b: dict) -> bool:
    """Do two prior-payer records (one payer's, or {"payers": [...]}) carry the same figures?"""
    if a is None:
        return False
    if "payers" in a or "payers" in b:
        pa, pb = a.get("payers", [a]), b.get("payers", [b])
        return len(pa) == len(pb) and all(_same_adjudication(x, y) for x, y in zip(pa, pb))
    keys = ("paid", "claim_adjustments", "lines")
    return all(a.get(k) == b.get(k) for k in keys)


# statuses of a secondary claim that has not left us: its prior-payer figures may change in place
NOT_SENT = frozenset({"new", "held", "ready"})


def _next_payer_claims(conn, adjudications, r: Remittance835, lines_by_claim: dict, *, file_id: int,
                       actor: str) -> int:
    """After a primary's (secondary's) adjudication: the secondary (tertiary) claim, new or kept in
    step, or the crossover. Below, "secondary" stands for the next payer of either.

    - PR left and secondary coverage on the date of service, no secondary claim yet: a secondary
      claim ('…S1', 'ready') carrying the primary's adjudication (2320/2330, 2430). When the primary
      forwarded the claim itself (CLP02=19, MA18/N89) the secondary claim records the crossover
      ('crossed_over': we send nothing) and a follow-up item waits for the crossover payer's 835.
    - A secondary claim exists and the primary's adjudication changed (a re-adjudication after a
      reversal, a corrected claim): not sent yet, its figures are updated in place; sent, it is
      replaced (frequency 7), or voided (frequency 8) when the primary now leaves nothing to it.
    """
    visit_ids = sorted({claim.visit_id for claim, _, _ in adjudications})
    existing = {(row.visit_id, row.responsibility): row for row in _rows(conn, "level_claims", {"visit_ids": visit_ids})}
    policies = {row.claim_id: row for row in _rows(conn, "secondary_policies",
                                                   {"claim_ids": [claim.id for claim, _, _ in adjudications]})}
    with conn.pipeline():
        made, new_claims = _next_payer_loop(conn, adjudications, existing, policies, r, lines_by_claim,
                                            file_id=file_id, actor=actor)
    return made + _create_secondaries(conn, new_claims, file_id=file_id, actor=actor)


def _next_payer_loop(conn, adjudications, existing: dict, policies: dict, r: Remittance835, lines_by_claim: dict,
                     *, file_id: int, actor: str) -> tuple[int, list[tuple]]:
    """`_next_payer_claims` claim by claim: returns how many claims it made and the staging rows
    of the new secondary (tertiary) claims that are not crossovers, for `_create_secondaries`."""
    made, new_claims, staged = 0, [], set()
    for claim, clp, cp_id in adjudications:
        pr = _pr_total(clp)
        level = NEXT_LEVEL[claim.responsibility]
        current = existing.get((claim.visit_id, level))
        if current is None and (pr <= 0 or claim.id not in policies):
            continue                               # nothing left for another payer, or no other payer
        prior = _prior_payer_data(lines_by_claim.get(claim.id, []), claim, clp, cp_id, r)
        if level == "T":                           # the tertiary's 837 carries both earlier payers (2320 x2)
            s_row = existing.get((claim.visit_id, "S"))  # the secondary claim that just adjudicated
            before = s_row.prior_payer_adjustments if s_row else None
            before = json.loads(before) if isinstance(before, str) else before
            prior = {"payers": [*(before or {}).get("payers", [before] if before else []), prior]}
        if current is None:
            pol = policies[claim.id]
            if is_crossover(clp):
                made += _new_secondary(conn, claim, clp, prior, pol, r, level, file_id=file_id, actor=actor)
            elif f"{claim.visit_number}{level}1" not in staged:  # the common case, set-based; first of a visit wins
                staged.add(f"{claim.visit_number}{level}1")
                new_claims.append((len(new_claims), f"{claim.visit_number}{level}1", level, pol.policy_id,
                                   pol.payer_id, clp.paid, json.dumps(prior), claim.id))
            continue
        s_id, s_number, s_status = current.id, current.claim_number, current.status
        old = current.prior_payer_adjustments
        old = json.loads(old) if isinstance(old, str) else old
        if s_status == "crossed_over" or _same_adjudication(old, prior):
            continue
        detail = {"primary_claim_id": claim.id, "claim_payment_id": cp_id, "primary_paid": f"{clp.paid:.2f}",
                  "primary_patient_responsibility": f"{pr:.2f}"}
        if s_status in NOT_SENT:
            conn.execute(query("posting", "update_prior_payer"), {
                "claim_id": s_id, "prior_payer_paid": clp.paid, "prior_payer_adjustments": json.dumps(prior)})
            record_event(conn, s_id, "prior_payer_updated", actor=actor, source_file_id=file_id, detail=detail,
                      dedupe_key=f"prior:{s_id}:{cp_id}")
            continue
        if s_status in ("replaced", "voided"):
            continue
        frequency = "7" if pr > 0 else "8"
        version = int(s_number[s_number.rindex(level) + 1:]) + 1
        number = f"{claim.visit_number}{level}{version}"
        row = _row(conn, "insert_secondary_version", {
            "claim_id": s_id, "claim_number": number, "frequency_code": frequency,
            "prior_payer_paid": clp.paid, "prior_payer_adjustments": json.dumps(prior)})
        if row is None:
            continue
        new_id = row.id
        conn.execute(query("posting", "copy_claim_lines"),
                     {"new_claim_id": new_id, "claim_number": number, "source_claim_id": s_id})
        info = {**detail, "replaces_claim_id": s_id, "frequency_code": frequency}
        record_event(conn, new_id, "created", actor=actor, from_status=None, to_status="new",
                     source_file_id=file_id, dedupe_key=f"created:{new_id}",
                     detail={"kind": "secondary_" + ("replacement" if frequency == "7" else "void"), **info})
        set_status(conn, new_id, "ready", actor=actor, event_type="secondary_ready", source_file_id=file_id,
                   detail=info, dedupe_key=f"secondary_ready:{new_id}")
        set_status(conn, s_id, "replaced" if frequency == "7" else "voided", actor=actor,
                   event_type="secondary_" + ("replaced" if frequency == "7" else "voided"),
                   source_file_id=file_id, detail=info, dedupe_key=f"secondary_superseded:{s_id}")
        made += 1
    return made, new_claims


def _create_secondaries(conn, rows: list[tuple], *, file_id: int, actor: str) -> int:
    """New secondary (tertiary) claims set-based, in the caller's transaction: COPY into a staging
    table, then one INSERT … SELECT each for the claims, their lines and their events (created,
    secondary_ready), as `_new_secondary` writes them one by one."""
    if not rows:
        return 0
    conn.execute(query("posting", "new_secondary_staging"))
    _copy(conn, "copy_new_secondary", rows)
    new_ids = [row.id for row in _rows(conn, "insert_secondary_claims")]
    if new_ids:
        conn.execute(query("posting", "copy_secondary_lines"), {"new_ids": new_ids})
        record_secondaries_created(conn, new_ids, actor=actor, source_file_id=file_id)
    return len(new_ids)


def _new_secondary(conn, claim, clp, prior: dict, pol, r: Remittance835, level: str, *, file_id: int,
                   actor: str) -> int:
    number = f"{claim.visit_number}{level}1"
    row = _row(conn, "insert_secondary_claim", {
        "claim_number": number, "responsibility": level, "policy_id": pol.policy_id, "payer_id": pol.payer_id,
        "prior_payer_paid": clp.paid,
        "prior_payer_adjustments": json.dumps(prior), "primary_claim_id": claim.id})
    if row is None:
        return 0
    new_id = row.id
    crossover = is_crossover(clp)
    conn.execute(query("posting", "copy_claim_lines"),
                 {"new_claim_id": new_id, "claim_number": number, "source_claim_id": claim.id})
    record_event(conn, new_id, "created", actor=actor, from_status=None, to_status="new", source_file_id=file_id,
                 detail={"kind": "crossover" if crossover else {"S": "secondary", "T": "tertiary"}[level],
                         "prior_claim_id": claim.id}, dedupe_key=f"created:{new_id}")
    if not crossover:
        set_status(conn, new_id, "ready", actor=actor, event_type="secondary_ready", source_file_id=file_id,
                   detail={"primary_claim_id": claim.id}, dedupe_key=f"secondary_ready:{new_id}")
        return 1
    days = crossover_follow_up_days()
    due = (r.payment_date or dt.date.today()) + dt.timedelta(days=days)
    set_status(conn, new_id, "crossed_over", actor=actor, event_type="crossed_over", source_file_id=file_id,
               detail={"primary_claim_id": claim.id, "clp02": clp.status_code,
                       "remarks": sorted(CROSSOVER_REMARKS & set(clp.remark_codes))},
               dedupe_key=f"crossed_over:{new_id}")
    open_work_item(conn, claim_id=new_id, edi_file_id=file_id, source="remittance", reason_code="FOLLOW_UP_CROSSOVER",
                  explanation=(f"The primary payer forwarded this claim to the secondary payer (crossover). "
                               f"Confirm the crossover payer paid if no 835 has come in {days} days; "
                               f"do not send a secondary claim of our own."),
                  details={"primary_claim_id": claim.id, "clp02": clp.status_code}, due_date=due,
                  dedupe_key=f"crossover:{new_id}")
    return 1


def crossover_follow_up_days() -> int:
    """BILLING_CROSSOVER_FOLLOW_UP_DAYS: days to wait for a crossover payer's 835 (default 30)."""
    raw = os.environ.get("BILLING_CROSSOVER_FOLLOW_UP_DAYS", "").strip()
    if not raw:
        return 30
    if not raw.isdigit():
        raise ValueError(f"BILLING_CROSSOVER_FOLLOW_UP_DAYS must be a whole number of days, got {raw!r}")
    return int(raw)


def _apply_plb(conn, r: Remittance835, remittance_id: int, payer: str, *, file_id: int, actor: str) -> None:
    """PLB adjustments applied, not only stored (X12 005010X221A1 PLB, docs/accounts.md):

    - WO / 72 / J1 that name a claim (PLB03-2 = our claim number or the payer's) recoup that
      claim's payment: its account's insurance_paid goes down;
    - L6 is interest: income, not a payment of any claim;
    - FB is a forwarding balance: an FB and a later opposite FB of the same payer and reference
      net to zero; one still open waits in a work item;
    - anything else, or a recoupment naming no claim we know, is unapplied cash with a work item.
    A positive PLB04 reduces the payment; a negative one increases it.
    """
    if not r.provider_adjustments:
        return
    refs = sorted({p.reference for p in r.provider_adjustments if p.reference})
    named: dict[str, int] = {}
    if refs:
        for c in _rows(conn, "plb_claims", {"refs": refs}):
            named.setdefault(c.claim_number, c.id)
            if c.payer_claim_control_number:
                named.setdefault(c.payer_claim_control_number, c.id)
    rows = []
    for position, p in enumerate(r.provider_adjustments, start=1):
        code, claim_id, nets = p.reason_code, named.get(p.reference or ""), None
        detail = {"remittance_id": remittance_id, "position": position, "plb_reason": code,
                  "reference": p.reference, "amount": f"{p.amount:.2f}"}
        if code in RECOUPMENT_PLB and claim_id is not None:
            applied = "claim_recoupment"
            record_event(conn, claim_id, "recoupment", actor=actor, source_file_id=file_id, detail=detail,
                      dedupe_key=f"plb:{remittance_id}:{position}")
        elif code == "L6":
            applied = "interest_income"
        elif code == "FB":
            applied = "forwarding_balance"
            hit = _row(conn, "open_forwarding_balance", {
                "payer_identifier": payer, "reference": p.reference, "amount": p.amount})
            if hit:
                nets = hit.id
                close_work_items(conn, resolution="resolved", actor=actor,
                                 dedupe_keys=[f"fb:{payer}:{p.reference}:{abs(p.amount)}"])
            else:
                open_work_item(conn, claim_id=None, edi_file_id=file_id, source="remittance",
                              reason_code="PLB_FORWARDING_BALANCE",
                              explanation=(f"The payer carried a forwarding balance of {p.amount:.2f} "
                                           f"(PLB FB, reference {p.reference}); the opposite FB that settles it "
                                           "has not come yet."),
                              details=detail, dedupe_key=f"fb:{payer}:{p.reference}:{abs(p.amount)}")
        else:
            applied = "unapplied"
            open_work_item(conn, claim_id=None, edi_file_id=file_id, source="remittance", reason_code="PLB_UNAPPLIED",
                          explanation=(f"Provider-level adjustment {code} of {p.amount:.2f} (reference "
                                       f"{p.reference or 'none'}) names no claim we know: apply it by hand."),
                          details=detail, dedupe_key=f"plb:{remittance_id}:{position}")
        rows.append(ProviderAdjustmentRow(remittance_id, position, p.provider_id, p.fiscal_period_date, code,
                                          p.reference, p.amount, applied,
                                          claim_id if applied == "claim_recoupment" else None, nets))
    record_provider_adjustments(conn, rows)


KEEP_PARSED_CLAIMS = 20_000   # a file with more claims is parsed twice instead of held in memory


def _checked_remittances(content: bytes, file_name: str):
    """Every transaction set of the file, after ALL of them parsed (X12Error otherwise: the file
    is quarantined whole, nothing posted).

    Up to KEEP_PARSED_CLAIMS claims the parsed sets are kept and returned as a list; a bigger
    file (a payer's 100 MB run) is checked set by set and then parsed again one set at a time
    while it posts, so memory holds one transaction set, not the file's 100,000s of claims.
    """
    kept: list[Remittance835] | None = []
    n_sets = n_claims = 0
    for r in iter_835(content, file_name):
        n_sets += 1
        if kept is not None:
            kept.append(r)
            n_claims += len(r.claims)
            if n_claims > KEEP_PARSED_CLAIMS:
                kept = None
    if not n_sets:
        raise X12Error("no 835 transaction set in the file", file=file_name)
    return kept if kept is not None else iter_835(content, file_name)


@contextmanager
def _cycle_collector_paused():
    """Python's cyclic garbage collector off while a file is parsed and posted, as it was after.

    A 10,000-claim 835 parses into about a million small objects with no reference cycles
    (reference counting frees them); the collector's full passes over them found nothing and
    took over a second of the posting time (measured: the parse alone 1.14 s with it, 0.43 s
    without). Cycles made meanwhile, if any, are collected once it runs again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def post_835_file(conn, file_id: int, file_name: str, content: bytes, *, actor: str,
                  result: PostingResult | None = None) -> PostingResult:
    """Post every transaction set of one stored 835 file; each in its own transaction."""
    with _cycle_collector_paused():
        return _post_835_file(conn, file_id, file_name, content, actor=actor, result=result)


def _post_835_file(conn, file_id: int, file_name: str, content: bytes, *, actor: str,
                   result: PostingResult | None) -> PostingResult:
    res = result or PostingResult()
    res.files += 1
    conn.commit()
    try:
        remittances = _checked_remittances(content, file_name)
    except X12Error as exc:
        error = str(exc) if exc.file else f"{file_name}: {exc}"
        res.quarantined += 1
        res.errors.append(error)
        log.warning("835 file %s quarantined: %s", file_id, error)
        with conn.transaction():
            conn.execute(query("posting", "mark_file"),
                         {"state": "quarantined", "error": error, "file_id": file_id})
        return res
    held = False
    for index, r in enumerate(remittances, start=1):
        with conn.transaction():
            outcome = post_remittance(conn, file_id, index, r, actor=actor, file_name=file_name, result=res)
        if outcome == "posted":
            res.remittances_posted += 1
            res.claims_posted += len(r.claims)
            res.paid_total += sum((c.paid for c in r.claims), ZERO)
        elif outcome == "held":
            res.remittances_held += 1
            held = True
        else:
            res.remittances_duplicate += 1
    with conn.transaction():
        conn.execute(query("posting", "mark_file"),
                     {"state": "held" if held else "applied",
                      "error": "one or more payment runs held for review" if held else None, "file_id": file_id})
    return res


def release_held_remittance(conn, remittance_id: int, *, actor: str) -> int | None:
    """After a person fixed why a payment run was held (e.g. the missing claim exists now):
    drop the held row and put its file back to 'stored'; the next posting run posts it (or
    holds it again). Returns the file id, None if the remittance is not held. Other payment
    runs of the same file are duplicates on the retry and change nothing."""
    row = _row(conn, "release_held", {"remittance_id": remittance_id})
    if row is None:
        return None
    close_work_items(conn, resolution="resolved", actor=actor,
                     dedupe_keys=[f"remit:{row.payer_identifier}:{row.trace_number}"])
    return row.id


def post_stored_remittances(conn, *, actor: str, workers: int = 1, connect=None) -> dict:
    """Post every stored, not yet processed 835 file (oldest first). Returns counts.

    `workers` > 1 posts up to that many files at the same time, each on its own connection: the
    caller's and `workers` - 1 more that `connect()` opens (the caller's session settings, its
    actor, run and clock, are copied onto them). Files that could touch the same claims, visits,
    payer traces or PLB references still post one after the other, in file order, so the ledger
    ends exactly as serial posting leaves it (docs/accounts.md, "Posting files concurrently").
    """
    if workers > 1 and connect is None:
        raise ValueError("posting files concurrently needs `connect`, a callable that opens a connection")
    res = PostingResult()
    conn.commit()
    files = _rows(conn, "pending_835")
    conn.commit()
    if workers > 1 and len(files) > 1:
        return _post_concurrently(conn, files, actor=actor, workers=workers, connect=connect).to_dict()
    for f in files:
        post_835_file(conn, f.id, f.file_name, _file_content(conn, f.id), actor=actor, result=res)
    return res.to_dict()


def _file_content(conn, file_id: int) -> bytes:
    # one file in memory at a time; binary: bytea arrives as bytes, not hex text twice the size
    with conn.cursor(binary=True, row_factory=namedtuple_row) as cur:
        content = cur.execute(query("posting", "file_content"), {"file_id": file_id}).fetchone().content
    conn.commit()
    return bytes(content)


# --- posting files concurrently ---------------------------------------------------------------

# the session settings a connection's rows depend on: the actor and run of billing.change_log
# (workqueue/set_actor), the run columns (include.billing.runs) and billing.clock()'s offset
SESSION_SETTINGS = ("billing.actor", "billing.run", *(f"billing.{s}" for s in RUN_SETTINGS), CLOCK_SETTING)


@dataclass
class _FileKeys:
    """What one 835 file may touch, read from its bytes without parsing it: CLP01s (our claim
    numbers), CLP07s and PLB03-2s (references a PLB may resolve), PLB03-2s of recoupments (they
    must name a claim we know), and TRN02s (payer traces, unique per payment run)."""
    claim_numbers: set[str] = field(default_factory=set)
    references: set[str] = field(default_factory=set)
    recoupment_refs: set[str] = field(default_factory=set)
    traces: set[str] = field(default_factory=set)


def _scan_835(content: bytes) -> _FileKeys | None:
    """The file's keys (a superset of what posting reads), or None when the reader refuses the
    file: such a file posts alone, after every earlier file and before every later one. The X12
    reader's segments, not a parse: CLP, TRN and PLB are read as x835 reads them (PLB composites
    split as `Segment.composite` splits them), nothing else is looked at."""
    from include.edi.reader import iter_segments

    keys = _FileKeys()
    try:
        for s in iter_segments(content):
            tag = s.tag
            if tag == "CLP":
                keys.claim_numbers.add(s.el(1))
                if s.el(7):
                    keys.references.add(s.el(7))
            elif tag == "TRN":
                keys.traces.add(s.el(2))
            elif tag == "PLB":
                for k in range(3, len(s.elements) + 1, 2):    # PLB03, 05, …: reason:reference
                    parts = s.composite(k)
                    if not parts:
                        continue
                    # no reference is a key too: FBs without one net with each other
                    ref = parts[1] if len(parts) > 1 and parts[1] else ""
                    keys.references.add(ref)
                    if ref and parts[0].strip() in RECOUPMENT_PLB:
                        keys.recoupment_refs.add(ref)
    except X12Error:
        return None
    return keys


def _posting_order(conn, files) -> dict[int, set[int]]:
    """For each file, the earlier files it must wait for: those that may touch the same visit
    (a claim number or a PLB reference resolving to one of its claims), the same reference
    (CLP07 / PLB03-2) or the same payer trace. A file naming a claim number we do not know yet
    (a secondary claim an earlier file may create), or a recoupment of an unknown reference,
    or whose keys cannot be read, waits for every earlier file and every later file waits for it."""
    scanned = {f.id: _scan_835(_file_content(conn, f.id)) for f in files}
    refs = sorted({r for k in scanned.values() if k for r in k.claim_numbers | k.references})
    by_number: dict[str, set[int]] = {}
    by_ref: dict[str, set[int]] = {}
    for row in _rows(conn, "visits_named", {"refs": refs}) if refs else []:
        by_number.setdefault(row.claim_number, set()).add(row.visit_id)
        by_ref.setdefault(row.claim_number, set()).add(row.visit_id)
        if row.payer_claim_control_number:
            by_ref.setdefault(row.payer_claim_control_number, set()).add(row.visit_id)
    conn.commit()
    after: dict[int, set[int]] = {}
    last: dict[tuple, int] = {}          # key -> the latest file so far that holds it
    earlier: list[int] = []
    barrier = None                       # the latest file that waits for all
    for f in files:
        k = scanned[f.id]
        alone = k is None or any(n not in by_number for n in k.claim_numbers) or any(
            r not in by_ref for r in k.recoupment_refs)
        if alone:
            after[f.id] = set(earlier)
            barrier = f.id
        else:
            keys = ({("visit", v) for n in k.claim_numbers for v in by_number[n]}
                    | {("visit", v) for r in k.references for v in by_ref.get(r, ())}
                    | {("ref", r) for r in k.claim_numbers | k.references}
                    | {("trace", x) for x in k.traces})
            after[f.id] = {last[x] for x in keys if x in last} | ({barrier} if barrier is not None else set())
            for x in keys:
                last[x] = f.id
        earlier.append(f.id)
    return after


class _Schedule:
    """Hands out files in id order once the files they wait for are posted; after a failure, none."""

    def __init__(self, files, after: dict[int, set[int]]):
        self.waiting = list(files)
        self.after = after
        self.done: set[int] = set()
        self.failed: BaseException | None = None
        self.cond = threading.Condition()

    def take(self):
        with self.cond:
            while self.failed is None and self.waiting:
                for i, f in enumerate(self.waiting):
                    if self.after[f.id] <= self.done:
                        return self.waiting.pop(i)
                self.cond.wait()
            return None

    def finish(self, file_id: int, failure: BaseException | None = None) -> None:
        with self.cond:
            if failure is None:
                self.done.add(file_id)
            elif self.failed is None:
                self.failed = failure
            self.cond.notify_all()


def _post_concurrently(conn, files, *, actor: str, workers: int, connect) -> PostingResult:
    after = _posting_order(conn, files)
    settings = conn.execute("SELECT " + ", ".join("current_setting(%s, true)" for _ in SESSION_SETTINGS),
                            SESSION_SETTINGS).fetchone()
    conn.commit()
    schedule = _Schedule(files, after)
    per_file: dict[int, PostingResult] = {}

    def work(c) -> None:
        while (f := schedule.take()) is not None:
            try:
                per_file[f.id] = post_835_file(c, f.id, f.file_name, _file_content(c, f.id), actor=actor)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, once the others stopped
                schedule.finish(f.id, exc)
                return
            schedule.finish(f.id)

    others = []
    try:
        for _ in range(min(workers, len(files)) - 1):
            other = connect()
            others.append(other)
            for name, value in zip(SESSION_SETTINGS, settings):
                if value is not None:
                    other.execute("SELECT set_config(%s, %s, false)", (name, value))
            other.commit()
        threads = [threading.Thread(target=work, args=(c,), name=f"post-835-{i}", daemon=True)
                   for i, c in enumerate(others, start=1)]
        with _cycle_collector_paused():  # once for all threads: the collector's switch is process-wide
            for th in threads:
                th.start()
            work(conn)
            for th in threads:
                th.join()
    finally:
        for other in others:
            other.close()
    if schedule.failed is not None:
        raise schedule.failed
    res = PostingResult()
    for f in files:                      # merged in file order: the counts and errors serial posting gives
        part = per_file[f.id]
        res.files += part.files
        res.quarantined += part.quarantined
        res.remittances_posted += part.remittances_posted
        res.remittances_held += part.remittances_held
        res.remittances_duplicate += part.remittances_duplicate
        res.claims_posted += part.claims_posted
        res.paid_total += part.paid_total
        res.secondary_claims += part.secondary_claims
        res.errors += part.errors
    return res


def other_payer_data(prior_payer_adjustments: dict | str | None) -> dict:
    """For the 837 builder of a responsibility-S claim: the primary's adjudication as plain values.

    Returns {"payer_name", "payer_identifier", "paid": Decimal, "adjudication_date": str|None,
    "claim_adjustments": [(group, reason, Decimal)], "lines": {line_number: {"paid": Decimal,
    "procedure_code", "modifiers", "units": Decimal, "adjustments": [(group, reason, Decimal)]}}}.
    """
    d = json.loads(prior_payer_adjustments) if isinstance(prior_payer_adjustments, str) else (
        prior_payer_adjustments or {})

    def adjs(items):
        return [(g, rsn, Decimal(a)) for g, rsn, a in items or []]

    return {"payer_name": d.get("payer_name") or "", "payer_identifier": d.get("payer_identifier") or "",
            "paid": Decimal(d.get("paid") or "0"), "adjudication_date": d.get("adjudication_date"),
            "claim_adjustments": adjs(d.get("claim_adjustments")),
            "lines": {int(k): {"paid": Decimal(v["paid"]), "procedure_code": v["procedure_code"],
                               "modifiers": v.get("modifiers", []), "units": Decimal(v.get("units") or "1"),
                               "adjustments": adjs(v.get("adjustments"))}
                      for k, v in (d.get("lines") or {}).items()}}


def other_payers_837(conn, claim_ids) -> dict:
    """The 837 other-payer loops of secondary and tertiary claims, for the 837 builder (one 2320 per
    earlier payer, in payer order).

    Returns {claim id: (other_payers: [OtherPayerAdjudication], line_adjudications:
    {line_number: [LineAdjudication]})}; set ``Claim837.other_payers`` and each
    ``ServiceLine.adjudications`` from it (2320/2330A/2330B, 2430).
    """
    import datetime as dt

    from include.edi.model import LineAdjudication, OtherPayerAdjudication

    out: dict = {}
    for row in _rows(conn, "other_payer_837", {"claim_ids": list(claim_ids)}):
        d = other_payer_data(row.prior)
        day = dt.date.fromisoformat(d["adjudication_date"]) if d["adjudication_date"] else None
        payer_id = row.payer_identifier or d["payer_identifier"] or "PRIMARY"
        op = OtherPayerAdjudication(
            payer_name=row.payer_name or d["payer_name"] or "PRIMARY PAYER", payer_id=payer_id,
            subscriber_last_name=row.subscriber_last_name or "UNKNOWN",
            subscriber_first_name=row.subscriber_first_name,
            subscriber_member_id=row.member_id or "UNKNOWN", payer_responsibility=row.responsibility,
            relationship_code=row.relationship_code or "18",
            claim_filing_indicator=row.claim_filing_indicator or "CI", group_number=row.group_number,
            paid_amount=d["paid"], adjustments=d["claim_adjustments"], adjudication_date=day)
        ops, lines = out.setdefault(row.claim_id, ([], {}))
        ops.append(op)
        for n, ln in d["lines"].items():
            lines.setdefault(n, []).append(LineAdjudication(
                other_payer_id=payer_id, paid=ln["paid"], procedure_code=ln["procedure_code"], units=ln["units"],
                adjudication_date=day or dt.date.today(), modifiers=ln["modifiers"], adjustments=ln["adjustments"]))
    return out
