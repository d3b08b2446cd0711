"""835 remittance posting: match, check, and post each payment run in one transaction.

For every 835 transaction set (one payer's payment run):

1. balance it (include.edi.balance) and match every CLP01 to a claim; a transaction that
   does not balance, has unmatched claims, or reverses a payment never posted is HELD
   (remittances.state 'held' + held_reason, a work item) and nothing of it is posted;
2. otherwise, in ONE transaction: the remittance row (unique payer + trace: the same 835
   twice posts nothing), claim payments, line payments (REF*6R, else procedure code +
   service date), adjustments (group, CARC, amount, RARC), PLB provider adjustments,
   patient responsibility (PR-1 deductible, PR-2 coinsurance, PR-3 copay) to the patient
   ledger, claim statuses through `set_status`, and secondary claims when the patient has
   secondary coverage on the date of service;
3. a reversal (CLP02=22) takes back the earlier payment exactly: its ledger entries are
   negated one by one and the claim goes to 'reversed'; the corrected CLP that follows
   posts again.

A file that cannot be parsed is quarantined with the reason (file and segment); the rest of
the batch goes on. Child rows are written with COPY (ids reserved up front) so a 10,000-claim
835 posts in seconds. A big file (a payer's 100 MB run) is checked whole, then parsed and
posted one transaction set at a time: memory holds one set, not the file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal

from include.edi.balance import balance_835
from include.edi.errors import X12Error
from include.edi.x835 import Remittance835, iter_835

from .acknowledgments import add_work_item
from .carc import is_denial, patient_category
from .rcm_sql import query
from .status import set_status

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")
ENVELOPE_INTEGRITY = {"se01_count", "se02_control", "missing_se"}
FAULT_ENV = "BILLING_POSTING_FAULT"     # test hook: a stage name at which posting crashes


class PostingFault(RuntimeError):
    """Raised by the fault hook (tests simulate a crash mid-posting)."""


def _fault(stage: str, fault: str | None, ordinal: int = 1) -> None:
    """Crash at `stage` ('after_claim_payments', 'after_status'), optionally only in the N-th
    payment run this call posts ('after_status@3')."""
    wanted = fault if fault is not None else os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("@")
    if name == stage and (not nth or int(nth) == ordinal):
        raise PostingFault(f"simulated crash at {stage} of payment run {ordinal}")


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


def claim_status_for(clp) -> str:
    """The claim status an adjudicated CLP means (not for reversals)."""
    if clp.status_code == "4":
        return "denied"
    adjs = list(clp.adjustments) + [a for ln in clp.lines for a in ln.adjustments]
    denied_part = any(is_denial(a.group, a.reason) and a.amount > 0 for a in adjs)
    if clp.paid <= 0:
        return "denied" if denied_part or not adjs else "paid"   # all to contract/patient: adjudicated
    return "partially_paid" if denied_part else "paid"


def _ids(conn, sequence: str, n: int) -> list[int]:
    if n == 0:
        return []
    return [r[0] for r in conn.execute(query("posting", "next_ids"), {"sequence": sequence, "n": n}).fetchall()]


def _copy(conn, name: str, rows) -> None:
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(query("posting", name)) as cp:
        for row in rows:
            cp.write_row(row)


def _payer_identifier(r: Remittance835) -> str:
    return (r.payer_trace_id or r.payer_id or r.payer_name or "UNKNOWN")[:80]


def _match_lines(clp, claim_lines: list[tuple], by_lcn: dict) -> list[int | None]:
    """claim_line id per SVC: REF*6R first (all of them, so that a fallback never takes a line
    another SVC names); then, for SVCs without a usable REF*6R (payers that drop it), the first
    unused line of this claim with the same procedure code and service date."""
    used: set[int] = set()
    out: list[int | None] = [None] * len(clp.lines)
    claim_ids = {ln[1] for ln in claim_lines}
    for i, svc in enumerate(clp.lines):
        hit = by_lcn.get(svc.line_control_number) if svc.line_control_number else None
        if hit is not None and hit[1] in claim_ids and hit[0] not in used:
            used.add(hit[0])
            out[i] = hit[0]
    for i, svc in enumerate(clp.lines):
        if out[i] is not None:
            continue
        for ln in claim_lines:      # (id, claim_id, line_number, lcn, procedure_code, service_date, units)
            if ln[0] in used or ln[4] != svc.procedure_code:
                continue
            if svc.service_date is None or ln[5] == svc.service_date:
                used.add(ln[0])
                out[i] = ln[0]
                break
    return out


def post_remittance(conn, file_id: int, index: int, r: Remittance835, *, actor: str,
                    file_name: str | None = None, fault: str | None = None, ordinal: int = 1,
                    result: PostingResult | None = None) -> str:
    """Post (or hold) one 835 transaction set in the caller's transaction.

    Returns 'posted', 'held' or 'duplicate'.
    """
    payer = _payer_identifier(r)
    trace = r.trace_number or f"file{file_id}-{index}"
    if conn.execute(query("posting", "remittance_by_trace"),
                    {"payer_identifier": payer, "trace_number": trace}).fetchone():
        return "duplicate"

    problems = [f.message for f in balance_835(r, file_name) if f.severity == "error"]
    problems += [str(f) for f in r.findings if f.severity == "error"]
    # envelope counts that don't add up mean segments were lost or added: money waits for a person
    problems += [f"{f.message}: the file may be cut or altered" for f in r.findings
                 if f.code in ENVELOPE_INTEGRITY]
    numbers = sorted({c.claim_id for c in r.claims})
    rows = conn.execute(query("posting", "claims_for_remittance"), {"claim_numbers": numbers}).fetchall()
    claims = {row[1]: row for row in rows}
    unmatched = [n for n in numbers if n not in claims]
    if unmatched:
        problems.append(f"{len(unmatched)} claim(s) not found: {', '.join(unmatched[:10])}")
    reversal_ids = sorted({claims[c.claim_id][0] for c in r.claims if c.is_reversal and c.claim_id in claims})
    to_reverse = dict(conn.execute(query("posting", "payments_to_reverse"),
                                   {"claim_ids": reversal_ids}).fetchall()) if reversal_ids else {}
    missing_rev = [c.claim_id for c in r.claims if c.is_reversal and c.claim_id in claims
                   and claims[c.claim_id][0] not in to_reverse]
    if missing_rev:
        problems.append(f"reversal of a payment never posted: {', '.join(missing_rev[:10])}")

    base = {"edi_file_id": file_id, "transaction_index": index, "payer_identifier": payer,
            "trace_number": trace, "payment_amount": r.payment_amount, "payment_method": r.payment_method,
            "payment_date": r.payment_date}
    if problems:
        reason = "; ".join(problems)[:2000]
        row = conn.execute(query("posting", "insert_remittance"),
                           {**base, "state": "held", "held_reason": reason}).fetchone()
        if row is None:
            return "duplicate"
        add_work_item(conn, claim_id=None, edi_file_id=file_id, source="remittance",
                      reason_code="REMIT_UNMATCHED" if unmatched or missing_rev else "REMIT_UNBALANCED",
                      explanation=f"835 trace {trace} held for review, nothing posted: {reason}"[:2000],
                      details={"remittance_id": row[0], "trace_number": trace, "problems": problems[:50]},
                      dedupe_key=f"remit:{payer}:{trace}")
        log.warning("835 file %s set %s held: %s", file_id, index, reason[:300])
        return "held"

    row = conn.execute(query("posting", "insert_remittance"),
                       {**base, "state": "posted", "held_reason": None}).fetchone()
    if row is None:
        return "duplicate"
    remittance_id = row[0]

    claim_ids = sorted({claims[c.claim_id][0] for c in r.claims})
    lines_rows = conn.execute(query("posting", "lines_for_claims"), {"claim_ids": claim_ids}).fetchall()
    lines_by_claim: dict[int, list[tuple]] = {}
    by_lcn: dict[str, tuple] = {}
    for ln in lines_rows:
        lines_by_claim.setdefault(ln[1], []).append(ln)
        by_lcn[ln[3]] = ln
    reversed_ledger: dict[int, list[tuple]] = {}
    if to_reverse:
        for e in conn.execute(query("posting", "ledger_of_payments"),
                              {"claim_ids": reversal_ids, "payment_ids": list(to_reverse.values())}).fetchall():
            reversed_ledger.setdefault(e[5], []).append(e)

    cp_ids = _ids(conn, "billing.claim_payments_id_seq", len(r.claims))
    lp_ids = _ids(conn, "billing.line_payments_id_seq", sum(len(c.lines) for c in r.claims))
    cp_rows, lp_rows, adj_rows, ledger_rows = [], [], [], []
    status_moves: list[tuple[int, str, int, dict]] = []
    pccn: dict[int, str] = {}
    secondary_candidates: list[tuple] = []
    reversing: dict[int, int] = {}      # claim id → payment id reversed within this remittance
    lp_iter = iter(lp_ids)
    for clp_index, (clp, cp_id) in enumerate(zip(r.claims, cp_ids), start=1):
        claim = claims[clp.claim_id]
        claim_id, patient_id = claim[0], claim[4]
        pr_total = sum((a.amount for a in clp.adjustments if a.group == "PR"), ZERO) + sum(
            (a.amount for ln in clp.lines for a in ln.adjustments if a.group == "PR"), ZERO)
        reverses = None
        if clp.is_reversal:
            reverses = reversing.get(claim_id) or to_reverse[claim_id]
            reversing[claim_id] = reverses
        cp_rows.append((cp_id, remittance_id, clp_index, claim_id, clp.status_code, clp.charge, clp.paid,
                        clp.patient_responsibility if clp.patient_responsibility is not None else pr_total,
                        clp.payer_claim_control_number or None, clp.is_reversal, reverses))
        if clp.payer_claim_control_number and not clp.is_reversal:
            pccn[claim_id] = clp.payer_claim_control_number
        position = 0
        claim_remarks = list(clp.remark_codes)
        for a in clp.adjustments:
            position += 1
            adj_rows.append((cp_id, None, position, a.group, a.reason, a.amount, a.quantity, claim_remarks))
            if a.group == "PR" and not clp.is_reversal and a.amount:
                ledger_rows.append((patient_id, claim_id, "patient_responsibility", patient_category(a.reason),
                                    a.amount, f"cp:{cp_id}:{position}"))
        line_ids = _match_lines(clp, lines_by_claim.get(claim_id, []), by_lcn)
        for svc_index, (svc, claim_line_id) in enumerate(zip(clp.lines, line_ids), start=1):
            lp_id = next(lp_iter)
            lp_rows.append((lp_id, cp_id, svc_index, claim_line_id, svc.procedure_code[:5], svc.charge, svc.paid,
                            svc.allowed_amount, svc.units))
            for a in svc.adjustments:
                position += 1
                adj_rows.append((cp_id, lp_id, position, a.group, a.reason, a.amount, a.quantity,
                                 list(svc.remark_codes)))
                if a.group == "PR" and not clp.is_reversal and a.amount:
                    ledger_rows.append((patient_id, claim_id, "patient_responsibility",
                                        patient_category(a.reason), a.amount, f"cp:{cp_id}:{position}"))
        if clp.is_reversal:
            # undo exactly what the reversed payment put on the patient ledger
            for e in reversed_ledger.get(reverses, []):
                ledger_rows.append((e[1], e[2], "reversal", e[3], -e[4], f"rev:{e[0]}"))
            new_status = "reversed"
        else:
            new_status = claim_status_for(clp)
            if (claim[6] == "P" and new_status in ("paid", "partially_paid") and clp.status_code in ("1", "")
                    and pr_total > 0):
                secondary_candidates.append((claim, clp, cp_id))
        status_moves.append((claim_id, new_status, clp_index,
                             {"remittance_id": remittance_id, "clp_index": clp_index, "clp02": clp.status_code,
                              "paid": f"{clp.paid:.2f}"}))

    _copy(conn, "copy_claim_payments", cp_rows)
    _fault("after_claim_payments", fault, ordinal)
    _copy(conn, "copy_line_payments", lp_rows)
    _copy(conn, "copy_adjustments", adj_rows)
    _copy(conn, "copy_patient_ledger", ledger_rows)
    _copy(conn, "copy_provider_adjustments", [
        (remittance_id, n, p.provider_id, p.fiscal_period_date, p.reason_code[:2], p.reference, p.amount)
        for n, p in enumerate(r.provider_adjustments, start=1)])
    if pccn:
        conn.execute(query("posting", "set_payer_ccn_many"),
                     {"claim_ids": list(pccn), "pccns": list(pccn.values())})
    # pipeline mode: each set_status waits for its reads only; its UPDATE rides along with the next
    with conn.pipeline():
        for claim_id, new_status, clp_index, detail in status_moves:
            set_status(conn, claim_id, new_status, actor=actor, event_type="remittance_" + new_status,
                       source_file_id=file_id, detail=detail, dedupe_key=f"835:{remittance_id}:{clp_index}")
    _fault("after_status", fault, ordinal)
    if secondary_candidates:
        made = _create_secondary_claims(conn, secondary_candidates, r, file_id=file_id, actor=actor)
        if result is not None:
            result.secondary_claims += made
    return "posted"


def _adj_list(adjs) -> list[list[str]]:
    return [[a.group, a.reason, f"{a.amount:.2f}"] for a in adjs]


def _create_secondary_claims(conn, candidates, r: Remittance835, *, file_id: int, actor: str) -> int:
    """Secondary claims ('…S1', status 'ready') carrying the primary's adjudication (2320/2330)."""
    ids = [c[0][0] for c in candidates]
    policies = {row[0]: row for row in conn.execute(query("posting", "secondary_policies"),
                                                    {"claim_ids": ids}).fetchall()}
    made = 0
    for claim, clp, cp_id in candidates:
        pol = policies.get(claim[0])
        if pol is None:
            continue
        number = f"{claim[5]}S1"
        own = conn.execute(query("posting", "lines_for_claims"), {"claim_ids": [claim[0]]}).fetchall()
        line_numbers = {ln[0]: ln[2] for ln in own}
        matched = _match_lines(clp, own, {ln[3]: ln for ln in own})
        lines = {}
        for svc, line_id in zip(clp.lines, matched):
            if line_id is None:
                continue
            lines[str(line_numbers[line_id])] = {
                "paid": f"{svc.paid:.2f}", "procedure_code": svc.procedure_code,
                "modifiers": list(svc.modifiers), "units": str(svc.units or 1),
                "adjustments": _adj_list(svc.adjustments)}
        prior = {"primary_claim_id": claim[0], "claim_payment_id": cp_id, "payer_id": claim[8],
                 "payer_identifier": r.payer_id or r.payer_trace_id, "payer_name": r.payer_name,
                 "paid": f"{clp.paid:.2f}",
                 "adjudication_date": (r.payment_date.isoformat() if r.payment_date else None),
                 "claim_adjustments": _adj_list(clp.adjustments), "lines": lines}
        row = conn.execute(query("posting", "insert_secondary_claim"), {
            "claim_number": number, "policy_id": pol[1], "payer_id": pol[2], "prior_payer_paid": clp.paid,
            "prior_payer_adjustments": json.dumps(prior), "primary_claim_id": claim[0]}).fetchone()
        if row is None:
            continue
        new_id = row[0]
        conn.execute(query("posting", "copy_claim_lines"),
                     {"new_claim_id": new_id, "claim_number": number, "source_claim_id": claim[0]})
        conn.execute(query("posting", "created_event"), {
            "claim_id": new_id, "actor": actor, "source_file_id": file_id,
            "detail": json.dumps({"kind": "secondary", "primary_claim_id": claim[0]}),
            "dedupe_key": f"created:{new_id}"})
        set_status(conn, new_id, "ready", actor=actor, event_type="secondary_ready", source_file_id=file_id,
                   detail={"primary_claim_id": claim[0]}, dedupe_key=f"secondary_ready:{new_id}")
        made += 1
    return made


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


def post_835_file(conn, file_id: int, file_name: str, content: bytes, *, actor: str,
                  fault: str | None = None, result: PostingResult | None = None) -> PostingResult:
    """Post every transaction set of one stored 835 file; each in its own transaction."""
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
            outcome = post_remittance(conn, file_id, index, r, actor=actor, file_name=file_name, fault=fault,
                                      ordinal=res.remittances_posted + 1, result=res)
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
    row = conn.execute(query("posting", "release_held"), {"remittance_id": remittance_id}).fetchone()
    if row is None:
        return None
    file_id, payer, trace = row
    conn.execute(query("posting", "resolve_remit_item"), {"dedupe_key": f"remit:{payer}:{trace}",
                                                          "actor": actor})
    return file_id


def post_stored_remittances(conn, *, actor: str, fault: str | None = None) -> dict:
    """Post every stored, not yet processed 835 file (oldest first). Returns counts."""
    res = PostingResult()
    conn.commit()
    files = conn.execute(query("posting", "pending_835")).fetchall()
    conn.commit()
    for file_id, name in files:
        # one file in memory at a time; binary: bytea arrives as bytes, not hex text twice the size
        (content,) = conn.cursor(binary=True).execute(query("posting", "file_content"), (file_id,)).fetchone()
        conn.commit()
        post_835_file(conn, file_id, name, bytes(content), actor=actor, fault=fault, result=res)
    return res.to_dict()


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
    """The 837 other-payer loops of responsibility-S claims, for the 837 builder.

    Returns {claim id: (other_payers: [OtherPayerAdjudication], line_adjudications:
    {line_number: [LineAdjudication]})}; set ``Claim837.other_payers`` and each
    ``ServiceLine.adjudications`` from it (2320/2330A/2330B, 2430).
    """
    import datetime as dt

    from include.edi.model import LineAdjudication, OtherPayerAdjudication

    out: dict = {}
    for (cid, prior, name, ident, cfi, s_last, s_first, member_id, rel, group) in conn.execute(
            query("posting", "other_payer_837"), {"claim_ids": list(claim_ids)}).fetchall():
        d = other_payer_data(prior)
        day = dt.date.fromisoformat(d["adjudication_date"]) if d["adjudication_date"] else None
        payer_id = ident or d["payer_identifier"] or "PRIMARY"
        op = OtherPayerAdjudication(
            payer_name=name or d["payer_name"] or "PRIMARY PAYER", payer_id=payer_id,
            subscriber_last_name=s_last or "UNKNOWN", subscriber_first_name=s_first,
            subscriber_member_id=member_id or "UNKNOWN", payer_responsibility="P",
            relationship_code=rel or "18", claim_filing_indicator=cfi or "CI", group_number=group,
            paid_amount=d["paid"], adjustments=d["claim_adjustments"], adjudication_date=day)
        lines = {n: [LineAdjudication(other_payer_id=payer_id, paid=ln["paid"], procedure_code=ln["procedure_code"],
                                      units=ln["units"], adjudication_date=day or dt.date.today(),
                                      modifiers=ln["modifiers"], adjustments=ln["adjustments"])]
                 for n, ln in d["lines"].items()}
        out[cid] = ([op], lines)
    return out
