"""The payer's money: allowed amounts, member cost sharing, denials, reversals.

Pure functions.  Every random draw comes from a ``random.Random`` seeded by the scenario
seed and the claim id, so a claim's outcome does not depend on which other claims are in
the run or in which order they come.  Money is Decimal, rounded half-up to the cent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from include.edi._common import Adjustment
from include.edi.x835 import ClaimPayment, ServicePayment

from .roster import Member
from .scenario import CLAIM_DENIALS, PayerTerms, Scenario

ZERO = Decimal(0)
CENT = Decimal("0.01")
# CARC → RARC sent with it (LQ*HE on the line)
DENIAL_REMARKS = {"CO-16": "M51", "CO-50": "N115", "CO-197": "N54", "CO-22": "MA04", "CO-29": None,
                  "CO-97": "M15"}


# 837 SBR09 (claim filing indicator) → 835 CLP06 (which has its own, shorter code list)
CLP06 = {"MA": "MA", "MB": "MB", "MC": "MC", "CH": "CH", "VA": "VA", "WC": "WC", "AM": "AM", "DS": "DS",
         "LM": "LM", "OF": "OF", "TV": "TV", "HM": "HM", "16": "16", "12": "12", "13": "13", "14": "14",
         "15": "15", "17": "17", "ZZ": "ZZ"}


def cents(v) -> Decimal:
    return Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP)


def claim_rng(seed: int, claim_id: str, purpose: str = "adjudicate") -> random.Random:
    """A generator private to one claim (and purpose): outcomes don't depend on order."""
    h = hashlib.sha256(f"{seed}:{purpose}:{claim_id}".encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def payer_claim_control_number(seed: int, claim_id: str) -> str:
    """CLP07: stable per claim id, 14 digits."""
    h = hashlib.sha256(f"{seed}:icn:{claim_id}".encode()).digest()
    return f"{int.from_bytes(h[:8], 'big') % 10**14:014d}"


@dataclass
class LineIn:
    line_control_number: str
    procedure_code: str
    charge: Decimal
    units: Decimal = Decimal(1)
    modifiers: list[str] = field(default_factory=list)
    service_date: dt.date | None = None
    primary_paid: Decimal | None = None          # 2430 SVD02 (secondary claims)


@dataclass
class ClaimIn:
    """What the payer keeps of an accepted 837P claim (JSON-serialisable via to_dict)."""

    claim_id: str
    payer_id: str
    payer_name: str
    member_id: str
    patient_last_name: str
    patient_first_name: str | None
    subscriber_last_name: str
    subscriber_member_id: str
    total_charge: Decimal
    received: dt.date
    billing_npi: str
    billing_name: str
    lines: list[LineIn]
    frequency_code: str = "1"
    replaces_icn: str | None = None               # REF*F8 of a replacement / void
    prior_authorization: str | None = None
    rendering_npi: str | None = None
    filing_indicator: str = "CI"
    responsibility: str = "P"                     # SBR01
    primary_paid: Decimal | None = None           # 2320 AMT*D
    primary_patient_responsibility: Decimal = ZERO  # 2320 CAS PR total
    is_dependent: bool = False
    source_file: str = ""
    submitter_id: str = ""                        # ISA06 of the 837: who gets the 835
    place_of_service: str = "11"                  # CLM05-1, echoed in CLP08

    @property
    def is_secondary(self) -> bool:
        return self.primary_paid is not None and self.responsibility in ("S", "T")

    @property
    def service_from(self) -> dt.date | None:
        ds = [ln.service_date for ln in self.lines if ln.service_date]
        return min(ds) if ds else None

    @property
    def service_to(self) -> dt.date | None:
        ds = [ln.service_date for ln in self.lines if ln.service_date]
        return max(ds) if ds else None

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> "ClaimIn":
        d = dict(d)
        d["lines"] = [LineIn(**{**ln, "charge": Decimal(ln["charge"]), "units": Decimal(ln["units"]),
                                "service_date": _d(ln["service_date"]),
                                "primary_paid": _m(ln["primary_paid"])}) for ln in d["lines"]]
        d["total_charge"] = Decimal(d["total_charge"])
        d["received"] = _d(d["received"])
        d["primary_paid"] = _m(d["primary_paid"])
        d["primary_patient_responsibility"] = Decimal(d["primary_patient_responsibility"])
        return cls(**d)


def _d(v):
    return dt.date.fromisoformat(v) if v else None


def _m(v):
    return None if v is None else Decimal(v)


def _jsonable(v):
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class Accumulator:
    """A member's year-to-date cost sharing as the payer tracks it."""

    deductible_met: Decimal
    out_of_pocket: Decimal = ZERO

    @classmethod
    def for_member(cls, m: Member | None) -> "Accumulator":
        # what was met toward the deductible also counts toward the out-of-pocket maximum
        return cls(m.deductible_met, m.deductible_met) if m else cls(ZERO)


@dataclass
class Adjudication:
    payment: ClaimPayment
    accumulator: Accumulator                      # the member's accumulator after this claim
    denial: str | None = None                     # claim-level CARC, e.g. 'CO-16'
    line_denials: int = 0


def draw_claim_denial(claim: ClaimIn, scenario: Scenario) -> str | None:
    """The claim-level denial drawn for this claim (or None), deterministic per claim id."""
    dos = claim.service_from
    if dos and (claim.received - dos).days > scenario.timely_filing_days:
        return "CO-29"
    u = claim_rng(scenario.seed, claim.claim_id, "denial").random()
    acc = 0.0
    for code in CLAIM_DENIALS:
        acc += scenario.denials.get(code, 0.0)
        if u < acc:
            if code == "CO-197" and claim.prior_authorization:
                return None          # an authorised service is not denied for missing auth
            if code == "CO-22" and claim.is_secondary:
                return None          # COB already resolved on a secondary claim
            return code
    return None


def _line_denied(claim: ClaimIn, index: int, scenario: Scenario) -> bool:
    # bundling only makes sense when there is another line to bundle into
    if index == 0 or len(claim.lines) < 2:
        return False
    rate = scenario.denials.get("CO-97", 0.0)
    return claim_rng(scenario.seed, f"{claim.claim_id}#{index}", "bundle").random() < rate


def _base_payment(claim: ClaimIn, seed: int, status: str) -> ClaimPayment:
    return ClaimPayment(
        claim_id=claim.claim_id, status_code=status, charge=claim.total_charge, paid=ZERO,
        patient_responsibility=ZERO, filing_indicator=CLP06.get(claim.filing_indicator, "12"),
        payer_claim_control_number=payer_claim_control_number(seed, claim.claim_id),
        facility_code=claim.place_of_service or "11", frequency_code=claim.frequency_code if claim.frequency_code != "1" else None,
        patient_last_name=claim.patient_last_name or "UNKNOWN", patient_first_name=claim.patient_first_name,
        patient_id=claim.member_id or None,
        insured_name=claim.subscriber_last_name if claim.is_dependent else None,
        insured_id=claim.subscriber_member_id if claim.is_dependent else None,
        rendering_npi=claim.rendering_npi, statement_from=claim.service_from, statement_to=claim.service_to,
        received_date=claim.received)


def _svc(ln: LineIn) -> ServicePayment:
    return ServicePayment(procedure_code=ln.procedure_code, charge=ln.charge, paid=ZERO,
                          modifiers=list(ln.modifiers), units=ln.units, service_date=ln.service_date,
                          line_control_number=ln.line_control_number)


def allowed_amount(charge: Decimal, percent: Decimal) -> Decimal:
    return min(charge, cents(charge * percent / 100))


def _cost_share(allowed: Decimal, member: Member | None, acc: Accumulator, copay_left: Decimal
                ) -> tuple[Decimal, Decimal, Decimal, Accumulator, Decimal]:
    """(deductible PR-1, coinsurance PR-2, copay PR-3, accumulator after, copay left for the claim)."""
    if member is None or allowed <= 0:
        return ZERO, ZERO, ZERO, acc, copay_left
    ded = min(allowed, max(ZERO, member.deductible - acc.deductible_met))
    rest = allowed - ded
    copay = coins = ZERO
    if member.copay > 0:
        copay = min(rest, copay_left)
        copay_left -= copay
    else:
        coins = cents(rest * member.coinsurance)
    # the out-of-pocket maximum caps what the member pays this year
    room = max(ZERO, member.out_of_pocket_max - acc.out_of_pocket)
    over = ded + coins + copay - room
    for which in ("coins", "copay", "ded"):
        if over <= 0:
            break
        if which == "coins":
            cut = min(coins, over)
            coins -= cut
        elif which == "copay":
            cut = min(copay, over)
            copay -= cut
        else:
            cut = min(ded, over)
            ded -= cut
        over -= cut
    acc = Accumulator(acc.deductible_met + ded, acc.out_of_pocket + ded + coins + copay)
    return ded, coins, copay, acc, copay_left


def denied_payment(claim: ClaimIn, seed: int, carc: str) -> ClaimPayment:
    """The whole claim denied with ``carc`` ('CO-16' …): every line adjusted in full, RARC on the line."""
    pay = _base_payment(claim, seed, "4")
    group, code = carc.split("-")
    for ln in claim.lines:
        sp = _svc(ln)
        sp.adjustments = [Adjustment(group, code, ln.charge)]
        if DENIAL_REMARKS.get(carc):
            sp.remark_codes = [DENIAL_REMARKS[carc]]
        pay.lines.append(sp)
    return pay


def adjudicate(claim: ClaimIn, member: Member | None, terms: PayerTerms, scenario: Scenario,
               accumulator: Accumulator) -> Adjudication:
    """Adjudicate one accepted claim: line payments, CAS adjustments, patient responsibility."""
    denial = draw_claim_denial(claim, scenario)
    if claim.is_secondary:
        return _adjudicate_secondary(claim, terms, scenario, accumulator, denial)
    acc = accumulator
    if denial:
        return Adjudication(denied_payment(claim, scenario.seed, denial), acc, denial=denial)
    pay = _base_payment(claim, scenario.seed, "1")
    copay_left = member.copay if member else ZERO
    line_denials = 0
    for i, ln in enumerate(claim.lines):
        sp = _svc(ln)
        if _line_denied(claim, i, scenario):
            sp.adjustments = [Adjustment("CO", "97", ln.charge)]
            sp.remark_codes = [DENIAL_REMARKS["CO-97"]]
            line_denials += 1
            pay.lines.append(sp)
            continue
        allowed = allowed_amount(ln.charge, terms.fee_schedule_percent)
        ded, coins, copay, acc, copay_left = _cost_share(allowed, member, acc, copay_left)
        sp.allowed_amount = allowed
        sp.paid = allowed - ded - coins - copay
        sp.adjustments = [a for a in (Adjustment("CO", "45", ln.charge - allowed), Adjustment("PR", "1", ded),
                                      Adjustment("PR", "2", coins), Adjustment("PR", "3", copay))
                          if a.amount != 0]
        pay.lines.append(sp)
    _totals(pay)
    if pay.paid == 0 and all(a.group == "CO" and a.reason == "97" for ln in pay.lines for a in ln.adjustments):
        pay.status_code = "4"
    return Adjudication(pay, acc, line_denials=line_denials)


def _adjudicate_secondary(claim: ClaimIn, terms: PayerTerms, scenario: Scenario, acc: Accumulator,
                          denial: str | None) -> Adjudication:
    """Secondary payer: pays min(what the primary left to the patient, allowed − primary paid);
    the primary's payment shows as OA-23."""
    if denial:
        return Adjudication(denied_payment(claim, scenario.seed, denial), acc, denial=denial)
    pay = _base_payment(claim, scenario.seed, "2")
    total = claim.total_charge or Decimal(1)
    primary_paid = _spread(claim.primary_paid or ZERO, claim, total,
                           [ln.primary_paid for ln in claim.lines])
    primary_pr = _spread(claim.primary_patient_responsibility, claim, total, [None] * len(claim.lines))
    for ln, pp, ppr in zip(claim.lines, primary_paid, primary_pr):
        sp = _svc(ln)
        allowed = allowed_amount(ln.charge, terms.fee_schedule_percent)
        oa23 = min(pp, allowed)
        paid = max(ZERO, min(ppr, allowed - oa23))
        left = allowed - oa23 - paid
        sp.allowed_amount = allowed
        sp.paid = paid
        sp.adjustments = [a for a in (Adjustment("CO", "45", ln.charge - allowed), Adjustment("OA", "23", oa23),
                                      Adjustment("PR", "2", left)) if a.amount != 0]
        pay.lines.append(sp)
    _totals(pay)
    return Adjudication(pay, acc)


def _spread(amount: Decimal, claim: ClaimIn, total: Decimal, given: list) -> list[Decimal]:
    """Split a claim-level amount over lines by charge (line-level values win when all are given)."""
    if all(g is not None for g in given) and given and sum(given) == amount:
        return list(given)
    out, left = [], amount
    for i, ln in enumerate(claim.lines):
        share = left if i == len(claim.lines) - 1 else cents(amount * ln.charge / total)
        share = min(share, left) if amount >= 0 else share
        out.append(share)
        left -= share
    return out


def _totals(pay: ClaimPayment) -> None:
    pay.paid = sum((ln.paid for ln in pay.lines), ZERO)
    pay.patient_responsibility = sum((a.amount for ln in pay.lines for a in ln.adjustments if a.group == "PR"),
                                     ZERO)


def reversal_of(payment: ClaimPayment) -> ClaimPayment:
    """CLP02=22: the earlier payment with every amount negated (balances the same way)."""
    neg = lambda a: Adjustment(a.group, a.reason, -a.amount, a.quantity)  # noqa: E731
    lines = [replace(ln, charge=-ln.charge, paid=-ln.paid, adjustments=[neg(a) for a in ln.adjustments],
                     allowed_amount=None if ln.allowed_amount is None else -ln.allowed_amount,
                     remark_codes=[]) for ln in payment.lines]
    return replace(payment, status_code="22", charge=-payment.charge, paid=-payment.paid,
                   patient_responsibility=-(payment.patient_responsibility or ZERO),
                   adjustments=[neg(a) for a in payment.adjustments], lines=lines, remark_codes=[])


def corrected_payment(payment: ClaimPayment, percent: Decimal) -> ClaimPayment:
    """Re-adjudication after a reversal: a new fee-schedule percent, the member's share kept
    (capped at the new allowed amount); denied lines stay denied."""
    lines = []
    for ln in payment.lines:
        if ln.allowed_amount is None:
            lines.append(replace(ln, adjustments=list(ln.adjustments)))
            continue
        allowed = allowed_amount(ln.charge, percent)
        other = sum((a.amount for a in ln.adjustments if a.group == "OA"), ZERO)
        budget = allowed - min(other, allowed)
        keep = []
        for a in ln.adjustments:
            if a.group == "PR":
                amt = min(a.amount, budget)
                budget -= amt
                if amt:
                    keep.append(Adjustment("PR", a.reason, amt))
        oa = [Adjustment("OA", "23", min(other, allowed))] if other else []
        co = [Adjustment("CO", "45", ln.charge - allowed)] if ln.charge != allowed else []
        new = replace(ln, allowed_amount=allowed, adjustments=co + oa + keep)
        new.paid = ln.charge - sum((a.amount for a in new.adjustments), ZERO)
        lines.append(new)
    out = replace(payment, lines=lines, adjustments=[])
    _totals(out)
    return out


def balance_errors(p: ClaimPayment) -> list[str]:
    """Self-check used before anything is written: claim and line balancing."""
    errs = []
    cas = sum((a.amount for a in p.adjustments), ZERO) + sum((a.amount for ln in p.lines for a in ln.adjustments),
                                                             ZERO)
    if p.charge - p.paid != cas:
        errs.append(f"claim {p.claim_id}: {p.charge} - {p.paid} != {cas}")
    for ln in p.lines:
        s = sum((a.amount for a in ln.adjustments), ZERO)
        if ln.charge - ln.paid != s:
            errs.append(f"claim {p.claim_id} line {ln.line_control_number}: {ln.charge} - {ln.paid} != {s}")
    return errs
