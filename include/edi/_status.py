"""Shared reading/building of claim status information (277CA X214 and 277 X212)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ._common import date_range, dec, m2, money
from .reader import TransactionSet
from .schema import STATUS_277, STATUS_CLAIM_LOOPS, STATUS_LEVELS, compiled
from .writer import fmt_amount, fmt_date

CATEGORY_CODES = {  # claim status category codes (507), the common ones
    "A0": "Acknowledgement/Forwarded", "A1": "Acknowledgement/Receipt",
    "A2": "Acknowledgement/Acceptance into adjudication system",
    "A3": "Acknowledgement/Returned as unprocessable claim", "A4": "Acknowledgement/Not Found",
    "A5": "Acknowledgement/Split Claim", "A6": "Acknowledgement/Rejected for Missing Information",
    "A7": "Acknowledgement/Rejected for Invalid Information",
    "A8": "Acknowledgement/Rejected for relational field in error",
    "P0": "Pending: Adjudication/Details", "P1": "Pending/In Process", "P2": "Pending/Payer Review",
    "P3": "Pending/Provider Requested Information", "P4": "Pending/Patient Requested Information",
    "P5": "Pending/Payer Administrative/System hold",
    "F0": "Finalized", "F1": "Finalized/Payment", "F2": "Finalized/Denial", "F3": "Finalized/Revised",
    "F3F": "Finalized/Forwarded", "F3N": "Finalized/Not Forwarded",
    "F4": "Finalized/Adjudication Complete - No payment forthcoming",
    "R0": "Requests for additional information/General Requests",
    "R1": "Requests for additional information/Entity Requests",
    "R3": "Requests for additional information/Claim/Line", "E0": "Response not possible - error on submitted request data",
    "E1": "Response not possible - System Status", "E2": "Information Holder is not responding",
    "E3": "Correction required - relational fields in error", "E4": "Trading partner agreement specific requirement not met",
    "D0": "Data Search Unsuccessful",
}
STATUS_CODES = {  # claim status codes (508), the common ones
    "0": "Cannot provide further status electronically", "1": "For more detailed information, see remittance advice",
    "3": "Claim has been adjudicated and is awaiting payment cycle", "15": "Requested information not provided",
    "16": "Claim/encounter has been forwarded to entity", "19": "Entity acknowledges receipt of claim/encounter",
    "20": "Accepted for processing", "21": "Missing or invalid information", "23": "Returned to entity",
    "29": "Subscriber and policy number/contract number mismatched",
    "33": "Subscriber and subscriber id not found", "35": "Claim/encounter not found",
    "65": "Claim/line has been paid", "88": "Entity not eligible for benefits for submitted dates of service",
    "97": "Patient eligibility not found with entity", "107": "Processed according to contract provisions",
    "116": "Claim submitted to incorrect payer", "145": "Entity's marital status",
    "164": "Entity's contract/member number", "187": "Date(s) of service", "189": "Facility type code",
    "247": "Line information", "255": "Diagnosis code", "317": "Requested additional information received",
    "454": "Procedure code for services rendered", "456": "Procedure code modifier(s) for services rendered",
    "461": "Total charges", "464": "Payer claim control number", "479": "Previous payment information",
    "480": "Entity's claim filing indicator", "494": "Service line charges", "510": "Service line units",
    "562": "Entity's National Provider Identifier (NPI)", "673": "Patient control number",
    "697": "Invalid Decimal precision", "713": "Claim frequency code",
}
ENTITY_CODES = {"PR": "Payer", "41": "Submitter", "40": "Receiver", "85": "Billing Provider",
                "1P": "Provider", "82": "Rendering Provider", "IL": "Insured or Subscriber",
                "QC": "Patient", "DN": "Referring Provider", "77": "Service Location", "03": "Dependent"}
DEFAULT_NPI = "1999999984"   # a valid-check-digit placeholder for a claim whose provider NPI is unknown
ACCEPTED_CATEGORIES = {"A0", "A1", "A2", "A5"}
REJECTED_CATEGORIES = {"A3", "A4", "A6", "A7", "A8"}


@dataclass
class Status:
    category: str                  # STC01-1
    code: str = ""                 # STC01-2
    entity: str | None = None      # STC01-3

    @property
    def description(self) -> str:
        cat = CATEGORY_CODES.get(self.category, f"category {self.category}")
        code = STATUS_CODES.get(self.code, f"status {self.code}") if self.code else ""
        ent = ENTITY_CODES.get(self.entity or "", self.entity or "")
        return cat + (f": {code}" if code else "") + (f" ({ent})" if ent else "")

    def composite(self) -> list:
        return [self.category, self.code, self.entity or ""]

    def to_dict(self):
        return {"category": self.category, "code": self.code, "entity": self.entity,
                "description": self.description}


@dataclass
class LineStatus:
    procedure_code: str
    charge: Decimal
    paid: Decimal | None = None
    modifiers: list[str] = field(default_factory=list)
    units: Decimal | None = None
    line_control_number: str | None = None     # REF*FJ
    service_date: dt.date | None = None
    statuses: list[Status] = field(default_factory=list)

    def to_dict(self):
        return {"procedure_code": self.procedure_code, "modifiers": list(self.modifiers),
                "charge": m2(self.charge), "paid": m2(self.paid),
                "line_control_number": self.line_control_number,
                "service_date": self.service_date.isoformat() if self.service_date else None,
                "statuses": [s.to_dict() for s in self.statuses]}


@dataclass
class ClaimStatus:
    claim_id: str                              # TRN02 (277CA: our CLM01; 277: the 276 trace)
    statuses: list[Status] = field(default_factory=list)
    effective_date: dt.date | None = None      # STC02
    action_code: str | None = None             # STC03 (277CA: WQ accepted, U rejected)
    total_charge: Decimal | None = None        # STC04
    paid_amount: Decimal | None = None         # STC05
    adjudication_date: dt.date | None = None   # STC06
    check_date: dt.date | None = None          # STC08
    check_number: str | None = None            # STC09
    payer_claim_control_number: str | None = None   # REF*1K
    patient_account_number: str | None = None  # REF*EJ
    service_from: dt.date | None = None        # DTP*472
    service_to: dt.date | None = None
    response_due_date: dt.date | None = None   # DTP*106 (277 request for information, X213 2200D)
    member_id: str | None = None               # NM1*IL / NM1*QC NM109
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    provider_npi: str | None = None            # NM1*85 / NM1*1P
    payer_name: str | None = None
    payer_id: str | None = None
    lines: list[LineStatus] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return self.statuses[0] if self.statuses else Status("")

    @property
    def category(self) -> str:
        return self.status.category

    @property
    def status_code(self) -> str:
        return self.status.code

    @property
    def entity_code(self) -> str | None:
        return self.status.entity

    @property
    def accepted(self) -> bool:
        return self.category in ACCEPTED_CATEGORIES

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES

    @property
    def description(self) -> str:
        return "; ".join(s.description for s in self.statuses)

    def to_dict(self):
        return {"claim_id": self.claim_id, "category": self.category, "status_code": self.status_code,
                "entity_code": self.entity_code, "description": self.description,
                "statuses": [s.to_dict() for s in self.statuses],
                "accepted": self.accepted, "rejected": self.rejected,
                "effective_date": self.effective_date.isoformat() if self.effective_date else None,
                "action_code": self.action_code, "total_charge": m2(self.total_charge),
                "paid_amount": m2(self.paid_amount),
                "payer_claim_control_number": self.payer_claim_control_number,
                "patient_account_number": self.patient_account_number,
                "service_from": self.service_from.isoformat() if self.service_from else None,
                "service_to": self.service_to.isoformat() if self.service_to else None,
                "response_due_date": self.response_due_date.isoformat() if self.response_due_date else None,
                "member_id": self.member_id, "provider_npi": self.provider_npi,
                "lines": [ln.to_dict() for ln in self.lines]}


def _stc(s) -> tuple[list[Status], dict]:
    sts = []
    for k in (1, 10, 11):
        comp = s.composite(k)
        if comp and comp[0]:
            sts.append(Status(comp[0], comp[1] if len(comp) > 1 else "", comp[2] if len(comp) > 2 and comp[2] else None))
    return sts, {}


_STATUS = compiled(STATUS_277)     # the status loop schema as lookup tables, built once at import
_LEVEL_CODE = {loop: code for code, loop in STATUS_LEVELS.items()}
# per state: the HL03 code of the hierarchical level it is in ("" in the heading)
_LEVEL = [next((_LEVEL_CODE[x] for x in reversed(p) if x in _LEVEL_CODE), "") for p in _STATUS.path]
_CLAIM_STATES = frozenset(i for i, lp in enumerate(_STATUS.loop) if lp in STATUS_CLAIM_LOOPS)
_HL_RECOVER = {q: st for (tag, q), (st, _) in _STATUS.recover.items() if tag == "HL"}


def parse_status_transaction(t: TransactionSet) -> list[ClaimStatus]:
    """Claims (2200D/E claim status tracking: a TRN in a patient, subscriber or dependent level) of
    a 277 or 277CA, whatever its guide version.

    The hierarchical levels and the claim loops come from ``schema.STATUS_277``, one schema for both
    guides keyed on HL03 (20, 21, 19, PT, 22, 23), so a GS08 naming no known version reads the same.
    An HL out of place is read where the schema puts its level; an HL whose level the schema does not
    know ends the open loops, and nothing under it is a claim until the next known level. Inside a
    level the segments are mapped by id and qualifier: names (NM1 PR, 85/1P, IL/QC) carry over to the
    claims after them, and STC/REF/DTP/SVC belong to the open claim (and SVC starts a line)."""
    out: list[ClaimStatus] = []
    steps, levels, claim_states, hl_recover = _STATUS.steps, _LEVEL, _CLAIM_STATES, _HL_RECOVER
    step = steps[0]
    level = ""
    payer = (None, None)
    npi = None
    member = (None, None, None)
    claim: ClaimStatus | None = None
    line: LineStatus | None = None
    for s in t.segments:
        tag = s.tag
        if tag == "HL":
            q = s.el(3)
            new = step.get("HL")
            if new is not None and new.__class__ is dict:
                new = new.get(q)
            if new is None:
                new = hl_recover.get(q, 0)    # out of place: where the guide puts it; unknown: no level
            step = steps[new]
            level = levels[new]
            claim = line = None
        elif tag == "NM1":
            q = s.el(1)
            if q == "PR":
                payer = (s.el(3), s.el(9) or None)
            elif q in ("85", "1P"):
                npi = s.el(9) or None
            elif q in ("IL", "QC"):
                if q == "IL" or level in ("PT", "23"):
                    member = (s.el(9) or member[0], s.el(3) or None, s.el(4) or None)
                if q == "QC" and not s.el(9):
                    member = (member[0], s.el(3) or None, s.el(4) or None)
        elif tag == "TRN":
            new = step.get("TRN")
            if new is not None:
                step = steps[new]
                if new in claim_states:
                    claim = ClaimStatus(claim_id=s.el(2), member_id=member[0], patient_last_name=member[1],
                                        patient_first_name=member[2], provider_npi=npi,
                                        payer_name=payer[0], payer_id=payer[1])
                    out.append(claim)
                    line = None
        elif tag == "STC" and claim is not None:
            sts, _ = _stc(s)
            if line is not None:
                line.statuses += sts
                if not line.paid and s.el(5):
                    line.paid = dec(s.el(5), s)
            elif not claim.statuses:
                claim.statuses = sts
                claim.effective_date = date_range("D8", s.el(2))[0]
                claim.action_code = s.el(3) or None
                claim.total_charge = dec(s.el(4), s)
                claim.paid_amount = dec(s.el(5), s)
                claim.adjudication_date = date_range("D8", s.el(6))[0]
                claim.check_date = date_range("D8", s.el(8))[0]
                claim.check_number = s.el(9) or None
            else:
                claim.statuses += sts
        elif tag == "REF" and claim is not None:
            q = s.el(1)
            if line is not None and q == "FJ":
                line.line_control_number = s.el(2)
            elif q == "1K":
                claim.payer_claim_control_number = s.el(2)
            elif q == "EJ":
                claim.patient_account_number = s.el(2)
        elif tag == "DTP" and claim is not None:
            if s.el(1) == "106" and line is None:
                claim.response_due_date = date_range(s.el(2), s.el(3))[0]
            elif s.el(1) == "472":
                a, b = date_range(s.el(2), s.el(3))
                if line is not None:
                    line.service_date = a
                else:
                    claim.service_from, claim.service_to = a, b
        elif tag == "SVC" and claim is not None:
            comp = s.composite(1)
            line = LineStatus(procedure_code=comp[1] if len(comp) > 1 else "", charge=dec(s.el(2), s, Decimal(0)),
                              paid=dec(s.el(3), s), modifiers=[m for m in comp[2:6] if m],
                              units=dec(s.el(7), s))
            claim.lines.append(line)
    return out


def claims_by_provider(claims) -> dict[str, list]:
    """The claims of a 277/277CA grouped by provider NPI (the HL 19 loops), in first-seen order; a claim
    without an NPI goes under DEFAULT_NPI, together with claims that carry it."""
    by_npi: dict[str, list] = {}
    for c in claims:
        by_npi.setdefault(c.provider_npi or DEFAULT_NPI, []).append(c)
    return by_npi


def _nm1(code, org_or_last, first, qual, ident, person=False):
    if person:
        return ["NM1", code, "1", org_or_last, first or "", "", "", "", qual if ident else "", ident or ""]
    return ["NM1", code, "2", org_or_last, "", "", "", "", qual if ident else "", ident or ""]


def claim_status_segments(c: ClaimStatus, *, x214: bool) -> list[list]:
    segs: list[list] = [["TRN", "2", c.claim_id]]
    sts = c.statuses or [Status("A1", "19", "PR")]
    stc = ["STC", sts[0].composite(), fmt_date(c.effective_date or dt.date.today()),
           c.action_code or ("" if not x214 else ("U" if sts[0].category in REJECTED_CATEGORIES else "WQ")),
           money(c.total_charge if c.total_charge is not None else 0)]
    if not x214:
        if c.paid_amount is not None or c.adjudication_date or c.check_number:
            stc += [money(c.paid_amount or 0), fmt_date(c.adjudication_date), "", fmt_date(c.check_date),
                    c.check_number or ""]
    if len(sts) > 1:
        while len(stc) < 10:
            stc.append("")
        stc += [x.composite() for x in sts[1:3]]
    segs.append(stc)
    if c.payer_claim_control_number:
        segs.append(["REF", "1K", c.payer_claim_control_number])
    if c.patient_account_number and not x214:
        segs.append(["REF", "EJ", c.patient_account_number])
    if c.service_from:
        if c.service_to and c.service_to != c.service_from:
            segs.append(["DTP", "472", "RD8", f"{fmt_date(c.service_from)}-{fmt_date(c.service_to)}"])
        else:
            segs.append(["DTP", "472", "D8", fmt_date(c.service_from)])
    for ln in c.lines:
        segs.append(["SVC", ["HC", ln.procedure_code, *ln.modifiers], money(ln.charge),
                     "" if x214 else money(ln.paid if ln.paid is not None else 0), "", "", "",
                     "" if ln.units is None else fmt_amount(ln.units)])
        for st in (ln.statuses or [Status("A2", "20")])[:1]:
            segs.append(["STC", st.composite(), fmt_date(c.effective_date or dt.date.today())]
                        + (["WQ" if st.category not in REJECTED_CATEGORIES else "U"] if x214 else []))
        if ln.line_control_number:
            segs.append(["REF", "FJ", ln.line_control_number])
        if ln.service_date:
            segs.append(["DTP", "472", "D8", fmt_date(ln.service_date)])
    return segs
