"""Scenario: the sandbox's behaviour as data (rates, delays, fee schedules), from YAML."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

# claim-level denials (CARC) the adjudicator can draw; CO-97 and CO-4 are drawn per line
CLAIM_DENIALS = ("CO-16", "CO-50", "CO-29", "CO-197", "CO-22", "CO-109", "CO-11", "PR-27")
LINE_DENIALS = ("CO-97", "CO-4")
DENIALS = CLAIM_DENIALS + LINE_DENIALS
# random front-end rejections (277CA STC01: category:status:entity), on top of the deterministic checks
REJECTIONS = {
    "invalid_procedure_code": "A7:454",
    "invalid_date_of_service": "A7:187",
    "invalid_birth_date": "A7:158:QC",
    "missing_information": "A7:21",
}
# the payer's own front end (second 277CA): returned as unprocessable
PAYER_REJECTIONS = ("A3:21", "A3:116", "A3:562:82")
PAYMENT_METHODS = ("ACH", "CHK")
KINDS = ("medicare", "medicaid", "commercial")
# 837 SBR09 / roster claim_filing_indicator -> payer kind when the scenario does not say
KIND_BY_FILING = {"MA": "medicare", "MB": "medicare", "MC": "medicaid"}
PART_B_DEDUCTIBLE_2026 = Decimal("283.00")     # CMS, "2026 Medicare Parts A & B Premiums and Deductibles"


# LOINC codes of the documents a payer asks for in its 277 request for additional information
# (X213 STC01-2, qualifier LOI): progress note, history and physical note
RFAI_LOINC = ("11506-3", "34117-2")


@dataclass(frozen=True)
class RfaiTerms:
    """Requests for additional information (277, 005010X213): when a claim comes due, the payer
    pends it and asks for records instead of adjudicating; it adjudicates `review_days` after the
    records arrive. `claims` names claims (CLM01) that always get a request (a test's knob)."""

    rate: float = 0.0
    claims: tuple[str, ...] = ()
    loinc: tuple[str, ...] = RFAI_LOINC
    due_days: int = 45                 # the response due date (DTP*106) after the request
    review_days: int = 7               # the 835 this many days after the records arrive


class ScenarioError(ValueError):
    """The scenario file is not usable; the message names the file and the key."""


@dataclass(frozen=True)
class PayerTerms:
    medicare_percent: Decimal = Decimal(100)       # fee schedule = this percent of the Medicare table
    delay_days: tuple[int, int] = (14, 14)         # payment lag after receipt, drawn per claim
    payment_method: str = "ACH"
    name: str | None = None
    kind: str | None = None                        # medicare | medicaid | commercial (None: from SBR09)
    prompt_pay_days: int = 30                      # interest (PLB L6) on clean claims paid later
    medigap_covers_part_b_deductible: bool = False  # Medigap plans C/F yes, G/N no
    crossover: bool = False                        # Medicare: forwards claims to the member's supplemental payer

    @property
    def max_delay_days(self) -> int:
        return self.delay_days[1]


@dataclass
class Scenario:
    seed: int = 1
    clearinghouse_id: str = "SANDBOX"
    clearinghouse_name: str = "SANDBOX CLEARINGHOUSE"
    default_terms: PayerTerms = field(default_factory=PayerTerms)
    payers: dict[str, PayerTerms] = field(default_factory=dict)
    denials: dict[str, float] = field(default_factory=dict)
    rejections: dict[str, float] = field(default_factory=dict)
    payer_rejection_rate: float = 0.0
    reversal_rate: float = 0.0
    reversal_delay_days: int = 7
    reversal_fee_delta_percent: Decimal = Decimal(2)
    recoupment_rate: float = 0.0
    recoupment_delay_days: int = 21
    recoupment_percent: Decimal = Decimal(10)
    pend_rate: float = 0.0
    pend_extra_days: tuple[int, int] = (20, 40)
    interest_rate_percent: Decimal = Decimal("4.5")
    medicare_part_b_deductible: Decimal = PART_B_DEDUCTIBLE_2026
    unlisted_percent_of_charge: Decimal = Decimal(60)
    timely_filing_days: int = 365
    rfai: RfaiTerms = field(default_factory=RfaiTerms)
    source: str = "scenario"

    def asks_for_information(self, claim_id: str, draw: float) -> bool:
        """Whether the payer pends this claim with a request for records (`draw`: the claim's own
        deterministic random number)."""
        return claim_id in self.rfai.claims or draw < self.rfai.rate

    def terms(self, payer_id: str) -> PayerTerms:
        return self.payers.get(payer_id, self.default_terms)

    def kind(self, payer_id: str, filing_indicator: str | None = None) -> str:
        """The payer's kind: the scenario's word for it, else the claim filing indicator's."""
        t = self.terms(payer_id)
        if t.kind:
            return t.kind
        return KIND_BY_FILING.get((filing_indicator or "").upper(), "commercial")

    @property
    def adjudication_delay_days(self) -> int:
        """The longest payer delay: after this many simulated days every accepted claim is paid,
        but those the payer pended with a request for additional information (`rfai`)."""
        longest = max([self.default_terms.max_delay_days] + [t.max_delay_days for t in self.payers.values()])
        return longest + (self.pend_extra_days[1] if self.pend_rate > 0 else 0)

    def check_payers(self, known) -> None:
        """Every payer id the scenario names must be one the roster knows (a typo would
        silently fall back to the defaults)."""
        known = set(known)
        unknown = sorted(set(self.payers) - known)
        if unknown:
            raise ScenarioError(f"{self.source}: payers: unknown payer id(s) {unknown}; "
                                f"the roster knows {sorted(known)}")

    @classmethod
    def load(cls, path: str | Path, known_payers=None) -> "Scenario":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
        sc = cls.from_dict(data, str(path))
        if known_payers is not None:
            sc.check_payers(known_payers)
        return sc

    @classmethod
    def from_dict(cls, data, source: str = "scenario") -> "Scenario":
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: expected a mapping at the top level")
        known = {"seed", "clearinghouse", "defaults", "payers", "denials", "rejections", "payer_rejections",
                 "reversal", "recoupment", "pend", "interest_rate_percent", "medicare_part_b_deductible",
                 "unlisted_percent_of_charge", "timely_filing_days", "description", "rfai"}
        unknown = set(data) - known
        if unknown:
            raise ScenarioError(f"{source}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        seed = data.get("seed", 1)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ScenarioError(f"{source}: seed must be an integer")
        ch = data.get("clearinghouse") or {}
        if not isinstance(ch, dict):
            raise ScenarioError(f"{source}: clearinghouse must be a mapping with id and name")
        default = _terms(data.get("defaults") or {}, f"{source}: defaults", PayerTerms())
        payers = {}
        for pid, row in (data.get("payers") or {}).items():
            payers[str(pid)] = _terms(row or {}, f"{source}: payers.{pid}", replace(default, kind=None,
                                                                                     crossover=False))
        denials = _rates(data.get("denials") or {}, f"{source}: denials", DENIALS)
        if sum(v for k, v in denials.items() if k in CLAIM_DENIALS) > 1:
            raise ScenarioError(f"{source}: denials: claim-level rates add up to more than 1")
        rejections = _rates(data.get("rejections") or {}, f"{source}: rejections", tuple(REJECTIONS))
        if sum(rejections.values()) > 1:
            raise ScenarioError(f"{source}: rejections: rates add up to more than 1")
        prej = _rate(data.get("payer_rejections", 0), f"{source}: payer_rejections")
        rev = _mapping(data.get("reversal"), f"{source}: reversal", {"rate", "delay_days", "fee_delta_percent"})
        rec = _mapping(data.get("recoupment"), f"{source}: recoupment", {"rate", "delay_days", "percent"})
        pend = _mapping(data.get("pend"), f"{source}: pend", {"rate", "extra_days"})
        rfai = _rfai(data.get("rfai"), f"{source}: rfai")
        rec_pct = _dec(rec.get("percent", 10), f"{source}: recoupment.percent")
        if not 0 < rec_pct <= 100:
            raise ScenarioError(f"{source}: recoupment.percent: must be in (0, 100]")
        part_b = _dec(data.get("medicare_part_b_deductible", PART_B_DEDUCTIBLE_2026),
                      f"{source}: medicare_part_b_deductible")
        unlisted = _dec(data.get("unlisted_percent_of_charge", 60), f"{source}: unlisted_percent_of_charge")
        interest = _dec(data.get("interest_rate_percent", "4.5"), f"{source}: interest_rate_percent")
        for v, k in ((part_b, "medicare_part_b_deductible"), (interest, "interest_rate_percent")):
            if v < 0:
                raise ScenarioError(f"{source}: {k}: must not be negative")
        if not 0 < unlisted <= 100:
            raise ScenarioError(f"{source}: unlisted_percent_of_charge: must be in (0, 100]")
        return cls(seed=seed, clearinghouse_id=str(ch.get("id") or "SANDBOX")[:15],
                   clearinghouse_name=str(ch.get("name") or "SANDBOX CLEARINGHOUSE"),
                   default_terms=default, payers=payers, denials=denials, rejections=rejections,
                   payer_rejection_rate=prej,
                   reversal_rate=_rate(rev.get("rate", 0), f"{source}: reversal.rate"),
                   reversal_delay_days=_int(rev.get("delay_days", 7), f"{source}: reversal.delay_days"),
                   reversal_fee_delta_percent=_dec(rev.get("fee_delta_percent", 2),
                                                   f"{source}: reversal.fee_delta_percent"),
                   recoupment_rate=_rate(rec.get("rate", 0), f"{source}: recoupment.rate"),
                   recoupment_delay_days=_int(rec.get("delay_days", 21), f"{source}: recoupment.delay_days"),
                   recoupment_percent=rec_pct,
                   pend_rate=_rate(pend.get("rate", 0), f"{source}: pend.rate"),
                   pend_extra_days=_range(pend.get("extra_days", [20, 40]), f"{source}: pend.extra_days"),
                   interest_rate_percent=interest, medicare_part_b_deductible=part_b,
                   unlisted_percent_of_charge=unlisted,
                   timely_filing_days=_int(data.get("timely_filing_days", 365), f"{source}: timely_filing_days"),
                   rfai=rfai, source=source)


def _rfai(v, where) -> RfaiTerms:
    d = _mapping(v, where, {"rate", "claims", "loinc", "due_days", "review_days"})
    claims = d.get("claims") or []
    loinc = d.get("loinc") or list(RFAI_LOINC)
    for name, xs in (("claims", claims), ("loinc", loinc)):
        if not isinstance(xs, list) or not all(isinstance(x, str) and x for x in xs):
            raise ScenarioError(f"{where}.{name}: must be a list of strings")
    bad = [x for x in loinc if not re.fullmatch(r"\d{1,7}-\d", x)]
    if bad:
        raise ScenarioError(f"{where}.loinc: not LOINC codes: {bad}")
    return RfaiTerms(rate=_rate(d.get("rate", 0), f"{where}.rate"), claims=tuple(claims), loinc=tuple(loinc),
                     due_days=_int(d.get("due_days", 45), f"{where}.due_days"),
                     review_days=_int(d.get("review_days", 7), f"{where}.review_days"))


def _mapping(v, where, keys) -> dict:
    v = v or {}
    if not isinstance(v, dict):
        raise ScenarioError(f"{where}: must be a mapping ({', '.join(sorted(keys))})")
    extra = set(v) - set(keys)
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(extra)}")
    return v


def _range(v, where) -> tuple[int, int]:
    """An integer N (= [N, N]) or a pair [low, high]."""
    if isinstance(v, list) and len(v) == 2:
        lo, hi = _int(v[0], where), _int(v[1], where)
        if lo > hi:
            raise ScenarioError(f"{where}: low {lo} is above high {hi}")
        return lo, hi
    n = _int(v, where)
    return n, n


def _rate(v, where) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise ScenarioError(f"{where}: must be a rate between 0 and 1, got {v!r}")
    return float(v)


def _rates(d, where, allowed) -> dict[str, float]:
    if not isinstance(d, dict):
        raise ScenarioError(f"{where}: must be a mapping of code → rate")
    out = {}
    for k, v in d.items():
        if k not in allowed:
            raise ScenarioError(f"{where}: unknown code {k!r}; allowed: {', '.join(allowed)}")
        out[k] = _rate(v, f"{where}.{k}")
    return out


def _int(v, where) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ScenarioError(f"{where}: must be a non-negative integer, got {v!r}")
    return v


def _dec(v, where) -> Decimal:
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        raise ScenarioError(f"{where}: must be a number, got {v!r}") from None
    if not d.is_finite():
        raise ScenarioError(f"{where}: must be a finite number")
    return d


def _terms(row, where, base: PayerTerms) -> PayerTerms:
    if not isinstance(row, dict):
        raise ScenarioError(f"{where}: must be a mapping")
    keys = {"medicare_percent", "delay_days", "payment_method", "name", "kind", "prompt_pay_days",
            "medigap_covers_part_b_deductible", "crossover"}
    extra = set(row) - keys
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(extra)}; known: {sorted(keys)}")
    pct = _dec(row.get("medicare_percent", base.medicare_percent), f"{where}.medicare_percent")
    if not 0 < pct <= 500:
        raise ScenarioError(f"{where}.medicare_percent: must be in (0, 500]")
    delay = _range(row["delay_days"], f"{where}.delay_days") if "delay_days" in row else base.delay_days
    method = row.get("payment_method", base.payment_method)
    if method not in PAYMENT_METHODS:
        raise ScenarioError(f"{where}.payment_method: must be one of {PAYMENT_METHODS}")
    kind = row.get("kind", base.kind)
    if kind is not None and kind not in KINDS:
        raise ScenarioError(f"{where}.kind: must be one of {KINDS}")
    flags = {}
    for k in ("medigap_covers_part_b_deductible", "crossover"):
        v = row.get(k, getattr(base, k))
        if not isinstance(v, bool):
            raise ScenarioError(f"{where}.{k}: must be true or false")
        flags[k] = v
    return PayerTerms(pct, delay, method, row.get("name", base.name), kind,
                      _int(row.get("prompt_pay_days", base.prompt_pay_days), f"{where}.prompt_pay_days"), **flags)
