"""Balancing checks.  Findings only: nothing is ever silently fixed.

835: per claim  CLP03 − CLP04 = Σ CAS (claim and line level)
     per line   SVC02 − SVC03 = Σ line CAS
     per 835    BPR02 = Σ CLP04 − Σ PLB amounts
837: CLM02 = Σ SV102
"""
from __future__ import annotations

from decimal import Decimal

from .errors import Finding

ZERO = Decimal(0)


def balance_835(r, file: str | None = None) -> list[Finding]:
    """Balancing findings (severity 'error') for one Remittance835."""
    out: list[Finding] = []
    total_paid = ZERO
    for c in r.claims:
        total_paid += c.paid
        claim_cas = sum((a.amount for a in c.adjustments), ZERO)
        line_cas = sum((a.amount for ln in c.lines for a in ln.adjustments), ZERO)
        diff = c.charge - c.paid - claim_cas - line_cas
        if diff != 0:
            out.append(Finding("error", "claim_unbalanced",
                               f"claim {c.claim_id}: charge {c.charge} - paid {c.paid} != adjustments "
                               f"{claim_cas + line_cas} (off by {diff})", "CLP", None, None, file))
        for n, ln in enumerate(c.lines, 1):
            lsum = sum((a.amount for a in ln.adjustments), ZERO)
            d = ln.charge - ln.paid - lsum
            if d != 0:
                out.append(Finding("error", "line_unbalanced",
                                   f"claim {c.claim_id} line {n} ({ln.line_control_number or ln.procedure_code}): "
                                   f"charge {ln.charge} - paid {ln.paid} != adjustments {lsum} (off by {d})",
                                   "SVC", None, None, file))
        if c.lines:
            line_paid = sum((ln.paid for ln in c.lines), ZERO)
            if line_paid != c.paid:
                out.append(Finding("warning", "claim_line_paid",
                                   f"claim {c.claim_id}: paid {c.paid} != sum of line payments {line_paid}",
                                   "CLP", None, None, file))
    plb = sum((p.amount for p in r.provider_adjustments), ZERO)
    expected = total_paid - plb
    if r.payment_amount != expected:
        out.append(Finding("error", "transaction_unbalanced",
                           f"BPR02 {r.payment_amount} != sum CLP04 {total_paid} - sum PLB {plb} = {expected}",
                           "BPR", None, "BPR02", file))
    return out


def balance_837(claims, file: str | None = None) -> list[Finding]:
    out = []
    for c in claims:
        s = sum((ln.charge for ln in c.lines), ZERO)
        if s != c.total_charge:
            out.append(Finding("error", "claim_charge_mismatch",
                               f"claim {c.claim_id}: CLM02 {c.total_charge} != sum of SV102 {s}",
                               "CLM", None, "CLM02", file))
    return out
