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

from include.edi.x835 import Adjustment, ClaimPayment, ServicePayment

from . import fee_schedule as fs
from .roster import Member
from .scenario import CLAIM_DENIALS, PayerTerms, Scenario

ZERO = Decimal(0)
CENT = Decimal("0.01")
# CARC -> RARCs sent with it (LQ*HE on the line); pairs after the CAQH CORE code combinations
DENIAL_REMARKS = {"CO-16": ["MA130", "N290"], "CO-50": ["N115"], "CO-197": ["M62"], "CO-22": ["MA04"],
                  "CO-29": [], "CO-109": ["N418"], "CO-11": ["M76"], "PR-27": ["N30"], "CO-97": ["M15"],
                  "CO-4": ["M78"], "CO-18": []}
MEDICARE_COINSURANCE = Decimal("0.20")


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
    primary_adjustments: list = field(default_factory=list)  # 2430 CAS: [group, reason, amount]


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
    primary_patient_responsibility: Decimal = ZERO  # 2320 CAS PR total (claim level)
    is_dependent: bool = False
    source_file: str = ""
    submitter_id: str = ""                        # ISA06 of the 837: who gets the 835
    place_of_service: str = "11"                  # CLM05-1, echoed in CLP08
    primary_filing_indicator: str | None = None   # 2320 SBR09 of the prior payer (MB = Medicare)
    crossover_from: str | None = None             # payer id that crossed this claim over to us

    @property
    def is_secondary(self) -> bool:
        return self.primary_paid is not None and self.responsibility in ("S", "T")

    @property
    def primary_is_medicare(self) -> bool:
        return (self.primary_filing_indicator or "").upper() in ("MA", "MB")

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
                                "primary_paid": _m(ln["primary_paid"]),
                                "primary_adjustments": [[g, r, Decimal(a)] for g, r, a
                                                        in ln.get("primary_adjustments") or []]})
                      for ln in d["lines"]]
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
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


@dataclass(frozen=True)
class Plan:
    """The member's benefit design as this payer applies it."""

    copay: Decimal = ZERO                 # office E/M, per visit, before (and instead of) the deductible
    coinsurance: Decimal = ZERO           # fraction after the deductible
    deductible: Decimal = ZERO            # per plan year
    out_of_pocket_max: Decimal | None = None   # None: no limit (Original Medicare)

    @classmethod
    def for_member(cls, kind: str, member: Member | None, scenario: Scenario) -> "Plan":
        if kind == "medicaid" or member is None:
            return cls()
        if kind == "medicare":
            return cls(ZERO, MEDICARE_COINSURANCE, scenario.medicare_part_b_deductible, None)
        return cls(member.copay, member.coinsurance, member.deductible, member.out_of_pocket_max)


@dataclass(frozen=True)
class Accumulator:
    """A member's plan-year cost sharing as the payer tracks it."""

    deductible_met: Decimal
    out_of_pocket: Decimal = ZERO

    @classmethod
    def for_member(cls, m: Member | None, plan: Plan | None = None) -> "Accumulator":
        # what was met toward the deductible also counts toward the out-of-pocket maximum
        if m is None:
            return cls(ZERO)
        met = m.deductible_met if plan is None else min(m.deductible_met, plan.deductible)
        return cls(met, met)


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
    u = claim_rng(scenario.seed, claim.claim_id + (claim.payer_id if claim.crossover_from else ""),
                  "denial").random()
    acc = 0.0
    for code in CLAIM_DENIALS:
        acc += scenario.denials.get(code, 0.0)
        if u < acc:
            if code == "CO-197" and claim.prior_authorization:
                return None          # an authorised service is not denied for missing auth
            if code in ("CO-22", "CO-109") and claim.is_secondary:
                return None          # COB already resolved on a secondary claim
            return code
    return None


def _line_denial(claim: ClaimIn, index: int, scenario: Scenario) -> str | None:
    ln = claim.lines[index]
    rng = claim_rng(scenario.seed, f"{claim.claim_id}#{index}", "bundle")
    u = rng.random()
    # bundling only makes sense when there is another line to bundle into
    if index > 0 and len(claim.lines) > 1 and u < scenario.denials.get("CO-97", 0.0):
        return "CO-97"
    # a modifier the payer finds inconsistent with the code (25 without a separate procedure, laterality)
    if ln.modifiers and rng.random() < scenario.denials.get("CO-4", 0.0):
        return "CO-4"
    return None


def _base_payment(claim: ClaimIn, seed: int, status: str) -> ClaimPayment:
    icn_key = claim.claim_id if not claim.crossover_from else f"{claim.claim_id}@{claim.payer_id}"
    return ClaimPayment(
        claim_id=claim.claim_id, status_code=status, charge=claim.total_charge, paid=ZERO,
        patient_responsibility=ZERO, filing_indicator=CLP06.get(claim.filing_indicator, "12"),
        payer_claim_control_number=payer_claim_control_number(seed, icn_key),
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


def allowed_amount(ln: LineIn, terms: PayerTerms, scenario: Scenario) -> Decimal:
    """The lesser of the charge and the payer's fee schedule (Medicare table x medicare_percent
    x units); a code missing from the table is allowed at ``unlisted_percent_of_charge``."""
    base = fs.MEDICARE.get(ln.procedure_code)
    if base is None:
        return min(ln.charge, cents(ln.charge * scenario.unlisted_percent_of_charge / 100))
    return min(ln.charge, cents(base * ln.units * terms.medicare_percent / 100))


def cost_share(allowed: Decimal, code: str, kind: str, plan: Plan, acc: Accumulator, copay_left: Decimal
               ) -> tuple[Decimal, Decimal, Decimal, Accumulator, Decimal]:
    """(deductible PR-1, coinsurance PR-2, copay PR-3, accumulator after, copay left for the visit).

    * services with no cost sharing (``fee_schedule.no_cost_sharing``) and Medicaid: nothing;
    * office E/M under a plan with a copay: the copay (once per visit), no deductible, no coinsurance;
    * everything else: the remaining deductible, then coinsurance on the rest;
    * the out-of-pocket maximum caps the member's share (coinsurance cut first, then copay, deductible).
    """
    if allowed <= 0 or kind == "medicaid" or fs.no_cost_sharing(kind, code):
        return ZERO, ZERO, ZERO, acc, copay_left
    ded = coins = copay = ZERO
    if kind == "commercial" and plan.copay > 0 and fs.category(code) == "office_em":
        copay = min(allowed, copay_left)
        copay_left -= copay
    else:
        ded = min(allowed, max(ZERO, plan.deductible - acc.deductible_met))
        coins = cents((allowed - ded) * plan.coinsurance)
    if plan.out_of_pocket_max is not None:
        over = ded + coins + copay - max(ZERO, plan.out_of_pocket_max - acc.out_of_pocket)
        cut = min(coins, max(ZERO, over))
        coins, over = coins - cut, over - cut
        cut = min(copay, max(ZERO, over))
        copay, over = copay - cut, over - cut
        cut = min(ded, max(ZERO, over))
        ded = ded - cut
    return ded, coins, copay, Accumulator(acc.deductible_met + ded, acc.out_of_pocket + ded + coins + copay), copay_left


def denied_payment(claim: ClaimIn, seed: int, carc: str, remarks: list[str] | None = None) -> ClaimPayment:
    """The whole claim denied with ``carc`` ('CO-16' ...): every line adjusted in full, RARC on the line."""
    pay = _base_payment(claim, seed, "4")
    group, code = carc.split("-")
    rarcs = DENIAL_REMARKS.get(carc, []) if remarks is None else remarks
    for ln in claim.lines:
        sp = _svc(ln)
        sp.adjustments = [Adjustment(group, code, ln.charge)]
        sp.remark_codes = list(rarcs)
        pay.lines.append(sp)
    _totals(pay)
    return pay


def adjudicate(claim: ClaimIn, member: Member | None, terms: PayerTerms, scenario: Scenario,
               accumulator: Accumulator, kind: str | None = None) -> Adjudication:
    """Adjudicate one accepted claim: line payments, CAS adjustments, patient responsibility."""
    kind = kind or scenario.kind(claim.payer_id, claim.filing_indicator)
    denial = draw_claim_denial(claim, scenario)
    if claim.is_secondary:
        return _adjudicate_secondary(claim, member, kind, terms, scenario, accumulator, denial)
    acc = accumulator
    if denial:
        remarks = DENIAL_REMARKS.get(denial, [])
        if denial == "CO-50" and kind != "medicare":
            remarks = []           # N115 names a Medicare LCD
        return Adjudication(denied_payment(claim, scenario.seed, denial, remarks), acc, denial=denial)
    plan = Plan.for_member(kind, member, scenario)
    pay = _base_payment(claim, scenario.seed, "1")
    copay_left = plan.copay
    line_denials = 0
    for i, ln in enumerate(claim.lines):
        sp = _svc(ln)
        carc = _line_denial(claim, i, scenario)
        if carc:
            group, code = carc.split("-")
            sp.adjustments = [Adjustment(group, code, ln.charge)]
            sp.remark_codes = list(DENIAL_REMARKS[carc])
            sp.allowed_amount = ZERO
            line_denials += 1
            pay.lines.append(sp)
            continue
        allowed = allowed_amount(ln, terms, scenario)
        ded, coins, copay, acc, copay_left = cost_share(allowed, ln.procedure_code, kind, plan, acc, copay_left)
        sp.allowed_amount = allowed
        sp.paid = allowed - ded - coins - copay
        sp.adjustments = [a for a in (Adjustment("CO", "45", ln.charge - allowed), Adjustment("PR", "1", ded),
                                      Adjustment("PR", "2", coins), Adjustment("PR", "3", copay))
                          if a.amount != 0]
        pay.lines.append(sp)
    _totals(pay)
    if pay.paid == 0 and line_denials == len(claim.lines):
        pay.status_code = "4"
    return Adjudication(pay, acc, line_denials=line_denials)


# the order in which a secondary payer takes over the primary's patient responsibility
_PR_ORDER = ("2", "1", "3")


def _adjudicate_secondary(claim: ClaimIn, member: Member | None, kind: str, terms: PayerTerms,
                          scenario: Scenario, acc: Accumulator, denial: str | None) -> Adjudication:
    """A secondary payer adjudicates what the primary left to the patient (2430 CAS PR per line,
    else the 2320 claim-level PR spread over the lines):

    * Medigap (a commercial payer behind Medicare): the Part B coinsurance (PR-2), and the
      deductible (PR-1) when the plan covers it;
    * another commercial plan: up to its own allowed amount less the primary's payment;
    * Medicaid: up to its fee schedule less the primary's payment; what is left is not billable
      to the member (CO-45).
    The primary's effect (its payment and contractual adjustments) is OA-23, so each line
    balances: charge - paid = OA-23 + what remains.
    """
    if denial:
        return Adjudication(denied_payment(claim, scenario.seed, denial), acc, denial=denial)
    pay = _base_payment(claim, scenario.seed, "2")
    total = claim.total_charge or Decimal(1)
    per_line = all(ln.primary_paid is not None or ln.primary_adjustments for ln in claim.lines)
    if per_line:
        paid_by_line = [ln.primary_paid or ZERO for ln in claim.lines]
        pr_by_line = [_pr_by_reason(ln.primary_adjustments) for ln in claim.lines]
    else:
        paid_by_line = _spread(claim.primary_paid or ZERO, claim, total)
        pr_by_line = [{"2": x} if x else {} for x in _spread(claim.primary_patient_responsibility, claim, total)]
    medigap = kind == "commercial" and claim.primary_is_medicare
    for ln, pp, prs in zip(claim.lines, paid_by_line, pr_by_line):
        sp = _svc(ln)
        left = min(ln.charge, sum(prs.values(), ZERO))
        if medigap:
            can_pay = prs.get("2", ZERO) + (prs.get("1", ZERO) if terms.medigap_covers_part_b_deductible else ZERO)
        else:
            can_pay = max(ZERO, allowed_amount(ln, terms, scenario) - pp)
        paid = min(left, can_pay)
        remaining, budget = {}, paid
        for reason in list(_PR_ORDER) + [r for r in prs if r not in _PR_ORDER]:
            amt = prs.get(reason, ZERO)
            take = min(amt, budget)
            budget -= take
            if amt - take > 0:
                remaining[reason] = amt - take
        sp.paid = paid
        adjs = [Adjustment("OA", "23", ln.charge - left)]
        if kind == "medicaid":
            adjs.append(Adjustment("CO", "45", sum(remaining.values(), ZERO)))
        else:
            adjs += [Adjustment("PR", r, a) for r, a in remaining.items()]
        # the primary's PR may exceed the charge only on malformed input; keep the line balanced
        over = sum((a.amount for a in adjs), ZERO) - (ln.charge - paid)
        if over:
            adjs[0] = Adjustment("OA", "23", adjs[0].amount - over)
        sp.adjustments = [a for a in adjs if a.amount != 0]
        pay.lines.append(sp)
    _totals(pay)
    return Adjudication(pay, acc)


def _pr_by_reason(adjustments) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for g, r, a in adjustments:
        if g == "PR":
            out[r] = out.get(r, ZERO) + Decimal(a)
    return out


def _spread(amount: Decimal, claim: ClaimIn, total: Decimal) -> list[Decimal]:
    """Split a claim-level amount over lines by charge (the last line takes the rounding)."""
    out, left = [], amount
    for i, ln in enumerate(claim.lines):
        share = left if i == len(claim.lines) - 1 else min(cents(amount * ln.charge / total), left)
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


def corrected_payment(payment: ClaimPayment, fee_delta_percent: Decimal) -> ClaimPayment:
    """Re-adjudication after a reversal: each line's allowed amount changed by ``fee_delta_percent``
    (never above the charge), the member's share kept (capped at the new allowed amount), the
    prior payer's OA-23 kept; denied lines stay denied."""
    lines = []
    for ln in payment.lines:
        if not ln.allowed_amount:
            lines.append(replace(ln, adjustments=list(ln.adjustments)))
            continue
        allowed = max(ZERO, min(ln.charge, cents(ln.allowed_amount * (100 + fee_delta_percent) / 100)))
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
