"""Scenario: the sandbox's behaviour as data (rates, delays, fee schedules), from YAML."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

# claim-level denials (CARC) the adjudicator can draw; CO-97 is drawn per line
CLAIM_DENIALS = ("CO-16", "CO-50", "CO-29", "CO-197", "CO-22")
LINE_DENIALS = ("CO-97",)
DENIALS = CLAIM_DENIALS + LINE_DENIALS
# random front-end rejections (277CA STC01: category:status:entity), on top of the deterministic checks
REJECTIONS = {
    "invalid_procedure_code": "A7:454",
    "invalid_date_of_service": "A7:187",
    "invalid_birth_date": "A7:158:QC",
    "missing_information": "A7:21",
}
PLB_REASONS = ("L6", "FB")
PAYMENT_METHODS = ("ACH", "CHK")


class ScenarioError(ValueError):
    """The scenario file is not usable; the message names the file and the key."""


@dataclass(frozen=True)
class PayerTerms:
    fee_schedule_percent: Decimal
    delay_days: int
    payment_method: str
    name: str | None = None


@dataclass
class Scenario:
    seed: int = 1
    clearinghouse_id: str = "SANDBOX"
    clearinghouse_name: str = "SANDBOX CLEARINGHOUSE"
    default_terms: PayerTerms = field(default_factory=lambda: PayerTerms(Decimal(80), 14, "ACH"))
    payers: dict[str, PayerTerms] = field(default_factory=dict)
    denials: dict[str, float] = field(default_factory=dict)
    rejections: dict[str, float] = field(default_factory=dict)
    reversal_rate: float = 0.0
    reversal_delay_days: int = 7
    reversal_fee_delta_percent: Decimal = Decimal(2)
    plb: dict[str, float] = field(default_factory=dict)
    timely_filing_days: int = 365
    source: str = "scenario"

    def terms(self, payer_id: str) -> PayerTerms:
        return self.payers.get(payer_id, self.default_terms)

    @property
    def adjudication_delay_days(self) -> int:
        """The longest payer delay: after this many simulated days every accepted claim is paid."""
        return max([self.default_terms.delay_days] + [t.delay_days for t in self.payers.values()])

    @classmethod
    def load(cls, path: str | Path) -> "Scenario":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data, source: str = "scenario") -> "Scenario":
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: expected a mapping at the top level")
        known = {"seed", "clearinghouse", "defaults", "payers", "denials", "rejections", "reversal",
                 "plb", "timely_filing_days", "description"}
        unknown = set(data) - known
        if unknown:
            raise ScenarioError(f"{source}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        seed = data.get("seed", 1)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ScenarioError(f"{source}: seed must be an integer")
        ch = data.get("clearinghouse") or {}
        if not isinstance(ch, dict):
            raise ScenarioError(f"{source}: clearinghouse must be a mapping with id and name")
        default = _terms(data.get("defaults") or {}, f"{source}: defaults", PayerTerms(Decimal(80), 14, "ACH"))
        payers = {}
        for pid, row in (data.get("payers") or {}).items():
            payers[str(pid)] = _terms(row or {}, f"{source}: payers.{pid}", default)
        denials = _rates(data.get("denials") or {}, f"{source}: denials", DENIALS)
        if sum(v for k, v in denials.items() if k in CLAIM_DENIALS) > 1:
            raise ScenarioError(f"{source}: denials: claim-level rates add up to more than 1")
        rejections = _rates(data.get("rejections") or {}, f"{source}: rejections", tuple(REJECTIONS))
        if sum(rejections.values()) > 1:
            raise ScenarioError(f"{source}: rejections: rates add up to more than 1")
        rev = data.get("reversal") or {}
        if not isinstance(rev, dict):
            raise ScenarioError(f"{source}: reversal must be a mapping (rate, delay_days, fee_delta_percent)")
        rrate = _rate(rev.get("rate", 0), f"{source}: reversal.rate")
        rdelay = _int(rev.get("delay_days", 7), f"{source}: reversal.delay_days")
        rdelta = _dec(rev.get("fee_delta_percent", 2), f"{source}: reversal.fee_delta_percent")
        plb = _rates(data.get("plb") or {}, f"{source}: plb", PLB_REASONS)
        tf = _int(data.get("timely_filing_days", 365), f"{source}: timely_filing_days")
        return cls(seed=seed, clearinghouse_id=str(ch.get("id") or "SANDBOX")[:15],
                   clearinghouse_name=str(ch.get("name") or "SANDBOX CLEARINGHOUSE"),
                   default_terms=default, payers=payers, denials=denials, rejections=rejections,
                   reversal_rate=rrate, reversal_delay_days=rdelay, reversal_fee_delta_percent=rdelta,
                   plb=plb, timely_filing_days=tf, source=source)


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
    extra = set(row) - {"fee_schedule_percent", "delay_days", "payment_method", "name"}
    if extra:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(extra)}")
    pct = _dec(row.get("fee_schedule_percent", base.fee_schedule_percent), f"{where}.fee_schedule_percent")
    if not 0 < pct <= 100:
        raise ScenarioError(f"{where}.fee_schedule_percent: must be in (0, 100]")
    delay = _int(row.get("delay_days", base.delay_days), f"{where}.delay_days")
    method = row.get("payment_method", base.payment_method)
    if method not in PAYMENT_METHODS:
        raise ScenarioError(f"{where}.payment_method: must be one of {PAYMENT_METHODS}")
    return PayerTerms(pct, delay, method, row.get("name", base.name))
