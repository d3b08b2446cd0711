"""271 eligibility response (005010X279A1): parse per subscriber/dependent, build."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ._common import date_range, dec, m2, money, transactions
from .reader import Delimiters
from .writer import DEFAULT, build_interchange, fmt_amount, fmt_date

VERSION = "005010X279A1"

BENEFIT_CODES = {"1": "Active Coverage", "2": "Active - Full Risk Capitation", "3": "Active - Services Capitated",
                 "4": "Active - Services Capitated to Primary Care Physician", "5": "Active - Pending Investigation",
                 "6": "Inactive", "7": "Inactive - Pending Eligibility Update", "8": "Inactive - Pending Investigation",
                 "A": "Co-Insurance", "B": "Co-Payment", "C": "Deductible", "CB": "Coverage Basis",
                 "D": "Benefit Description", "E": "Exclusions", "F": "Limitations", "G": "Out of Pocket (Stop Loss)",
                 "H": "Unlimited", "I": "Non-Covered", "J": "Cost Containment", "K": "Reserve", "L": "Primary Care Provider",
                 "M": "Pre-existing Condition", "MC": "Managed Care Coordinator", "N": "Services Restricted to Following Provider",
                 "O": "Not Deemed a Medical Necessity", "P": "Benefit Disclaimer", "Q": "Second Surgical Opinion Required",
                 "R": "Other or Additional Payor", "S": "Prior Year(s) History", "T": "Card(s) Reported Lost/Stolen",
                 "U": "Contact Following Entity for Eligibility or Benefit Information", "V": "Cannot Process",
                 "W": "Other Source of Data", "X": "Health Care Facility", "Y": "Spend Down"}
TIME_PERIODS = {"6": "Hour", "7": "Day", "13": "24 Hours", "21": "Years", "22": "Service Year", "23": "Calendar Year",
                "24": "Year to Date", "25": "Contract", "26": "Episode", "27": "Visit", "28": "Outlier",
                "29": "Remaining", "30": "Exceeded", "31": "Not Exceeded", "32": "Lifetime", "33": "Lifetime Remaining",
                "34": "Month", "35": "Week", "36": "Admission"}
AAA_REASONS = {
    "04": "Authorized Quantity Exceeded", "15": "Required application data missing",
    "41": "Authorization/Access Restrictions", "42": "Unable to Respond at Current Time",
    "43": "Invalid/Missing Provider Identification", "44": "Invalid/Missing Provider Name",
    "45": "Invalid/Missing Provider Specialty", "46": "Invalid/Missing Provider Phone Number",
    "47": "Invalid/Missing Provider State", "48": "Invalid/Missing Referring Provider Identification Number",
    "49": "Provider is Not Primary Care Physician", "50": "Provider Ineligible for Inquiries",
    "51": "Provider Not on File", "52": "Service Dates Not Within Provider Plan Enrollment",
    "53": "Inquired Benefit Inconsistent with Provider Type", "54": "Inappropriate Product/Service ID Qualifier",
    "55": "Inappropriate Product/Service ID", "56": "Inappropriate Date", "57": "Invalid/Missing Date(s) of Service",
    "58": "Invalid/Missing Date-of-Birth", "60": "Date of Birth Follows Date(s) of Service",
    "61": "Date of Death Precedes Date(s) of Service", "62": "Date of Service Not Within Allowable Inquiry Period",
    "63": "Date of Service in Future", "64": "Invalid/Missing Patient ID", "65": "Invalid/Missing Patient Name",
    "66": "Invalid/Missing Patient Gender Code", "67": "Patient Not Found", "68": "Duplicate Patient ID Number",
    "69": "Inconsistent with Patient's Age", "70": "Inconsistent with Patient's Gender",
    "71": "Patient Birth Date Does Not Match That for the Patient on the Database",
    "72": "Invalid/Missing Subscriber/Insured ID", "73": "Invalid/Missing Subscriber/Insured Name",
    "74": "Invalid/Missing Subscriber/Insured Gender Code", "75": "Subscriber/Insured Not Found",
    "76": "Duplicate Subscriber/Insured ID Number", "77": "Subscriber Found, Patient Not Found",
    "78": "Subscriber/Insured Not in Group/Plan Identified", "79": "Invalid Participant Identification",
    "80": "No Response received - Transaction Terminated", "97": "Invalid or Missing Provider Address",
    "T4": "Payer Name or Identifier Missing",
}
# AAA03 reasons by who must act (005010X279A1 reject reason codes): the practice's enrollment /
# provider data with the payer, versus the patient's identifying data, versus the inquiry itself.
PROVIDER_REASONS = frozenset({"41", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "79", "97",
                              "T4"})
PATIENT_REASONS = frozenset({"58", "60", "61", "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74",
                             "75", "76", "77", "78"})
REQUEST_REASONS = frozenset({"04", "15", "54", "55", "56", "57", "62", "63"})
PAYER_REASONS = frozenset({"42", "80"})    # the payer could not answer now: ask again


def aaa_route(reason_code: str) -> str:
    """'provider' | 'patient' | 'request' | 'payer' for an AAA03 reject reason."""
    if reason_code in PROVIDER_REASONS:
        return "provider"
    if reason_code in PATIENT_REASONS:
        return "patient"
    if reason_code in PAYER_REASONS:
        return "payer"
    return "request"


FOLLOW_UP = {"C": "Please Correct and Resubmit", "N": "Resubmission Not Allowed",
             "P": "Please Resubmit Original Transaction", "R": "Resubmission Allowed",
             "S": "Do Not Resubmit; Inquiry Initiated to a Third Party", "W": "Please Wait 30 Days and Resubmit",
             "X": "Please Wait 10 Days and Resubmit",
             "Y": "Do Not Resubmit; We Will Hold Your Request and Respond Again Shortly"}


@dataclass
class Rejection:
    reason_code: str              # AAA03
    follow_up_action: str = ""    # AAA04
    valid_request: str = "N"      # AAA01
    level: str = ""               # where: 'payer', 'provider', 'subscriber', 'dependent', 'benefit'

    @property
    def description(self) -> str:
        return AAA_REASONS.get(self.reason_code, f"reject reason {self.reason_code}")

    @property
    def follow_up_description(self) -> str:
        return FOLLOW_UP.get(self.follow_up_action, self.follow_up_action)

    def to_dict(self):
        return {"reason_code": self.reason_code, "description": self.description,
                "follow_up_action": self.follow_up_action, "follow_up": self.follow_up_description,
                "level": self.level}


@dataclass
class BenefitEntity:
    """2120C/D benefit related entity (NM1 inside LS*2120 … LE*2120), e.g. the other payer of an EB*R."""
    entity_code: str                        # NM101: PR payer, PRP primary payer, SEP secondary payer, TTP …
    name: str | None = None                 # NM103
    id_qualifier: str | None = None         # NM108
    identifier: str | None = None           # NM109

    def to_dict(self):
        return {"entity_code": self.entity_code, "name": self.name, "id_qualifier": self.id_qualifier,
                "identifier": self.identifier}


@dataclass
class Benefit:
    code: str                               # EB01
    coverage_level: str | None = None       # EB02: IND, FAM, EMP, ESP …
    service_types: list[str] = field(default_factory=list)   # EB03 (repeats)
    insurance_type: str | None = None       # EB04
    plan_description: str | None = None     # EB05
    time_period: str | None = None          # EB06: 23 calendar year, 29 remaining, 24 YTD …
    amount: Decimal | None = None           # EB07
    percent: Decimal | None = None          # EB08 (0.2 = 20 %)
    quantity_qualifier: str | None = None   # EB09
    quantity: Decimal | None = None         # EB10
    authorization_required: str | None = None   # EB11
    in_network: str | None = None           # EB12: Y, N, U, W
    dates: dict[str, tuple] = field(default_factory=dict)    # DTP qualifier → (start, end)
    messages: list[str] = field(default_factory=list)        # MSG
    entities: list[BenefitEntity] = field(default_factory=list)   # 2120C/D NM1

    @property
    def description(self) -> str:
        return BENEFIT_CODES.get(self.code, self.code)

    def to_dict(self):
        return {"code": self.code, "description": self.description, "coverage_level": self.coverage_level,
                "service_types": list(self.service_types), "insurance_type": self.insurance_type,
                "plan_description": self.plan_description, "time_period": self.time_period,
                "time_period_description": TIME_PERIODS.get(self.time_period or ""),
                "amount": m2(self.amount), "percent": None if self.percent is None else str(self.percent),
                "quantity": None if self.quantity is None else str(self.quantity),
                "in_network": self.in_network, "messages": list(self.messages),
                "entities": [e.to_dict() for e in self.entities]}


@dataclass
class EligibilityResponse:
    trace_numbers: list[str] = field(default_factory=list)   # TRN02 (TRN*2 echoes our 270 trace)
    member_id: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    is_dependent: bool = False
    relationship_code: str | None = None    # INS02
    group_number: str | None = None
    payer_name: str | None = None
    payer_id: str | None = None
    provider_npi: str | None = None
    dates: dict[str, tuple] = field(default_factory=dict)      # 2100 DTP qualifier → (start, end)
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def trace_number(self) -> str | None:
        return self.trace_numbers[0] if self.trace_numbers else None

    @property
    def active(self) -> bool:
        return any(b.code in ("1", "2", "3", "4", "5") for b in self.benefits)

    @property
    def inactive(self) -> bool:
        return any(b.code in ("6", "7", "8") for b in self.benefits) and not self.active

    @property
    def status(self) -> str:
        if self.rejections and not self.benefits:
            return "rejected"
        return "active" if self.active else "inactive" if self.inactive else "unknown"

    def _date(self, *quals, end=False):
        for q in quals:
            if q in self.dates:
                return self.dates[q][1 if end else 0]
        return None

    @property
    def plan_begin(self):
        return self._date("346", "356", "291", "307")

    @property
    def plan_end(self):
        return self._date("347", "357") or self._date("291", "307", end=True)

    def _of(self, code):
        return [b for b in self.benefits if b.code == code]

    @property
    def copays(self):
        return self._of("B")

    @property
    def coinsurance(self):
        return self._of("A")

    @property
    def deductibles(self):
        return self._of("C")

    @property
    def out_of_pocket(self):
        return self._of("G")

    @property
    def other_payers(self):
        """EB*R: other or additional payer (its 2120 NM1 names it)."""
        return self._of("R")

    @property
    def pending_investigation(self) -> bool:
        """EB01 = 5, "Active - Pending Investigation", and no plain active coverage (1-4)."""
        codes = {b.code for b in self.benefits}
        return "5" in codes and not codes & {"1", "2", "3", "4"}

    def to_dict(self):
        return {"trace_numbers": list(self.trace_numbers), "member_id": self.member_id,
                "last_name": self.last_name, "first_name": self.first_name,
                "birth_date": self.birth_date.isoformat() if self.birth_date else None,
                "is_dependent": self.is_dependent, "status": self.status,
                "plan_begin": self.plan_begin.isoformat() if self.plan_begin else None,
                "plan_end": self.plan_end.isoformat() if self.plan_end else None,
                "payer_id": self.payer_id, "benefits": [b.to_dict() for b in self.benefits],
                "rejections": [r.to_dict() for r in self.rejections]}


def parse_271(source, name: str | None = None) -> list[EligibilityResponse]:
    """One EligibilityResponse per subscriber/dependent level (HL 22/23) of each 271.

    AAA at the payer/provider level is attached to the responses below it; a 271 that
    only rejects (no subscriber level) gives one response holding the rejections."""
    out: list[EligibilityResponse] = []
    for t in transactions(source, ("271",), name):
        start = len(out)
        upper: list[Rejection] = []
        payer = (None, None)
        npi = None
        level = ""
        cur: EligibilityResponse | None = None
        sub: EligibilityResponse | None = None
        ben: Benefit | None = None
        produced = 0
        for s in t.segments:
            tag = s.tag
            if tag == "HL":
                level = s.el(3)
                ben = None
                if level in ("22", "23"):
                    cur = EligibilityResponse(payer_name=payer[0], payer_id=payer[1], provider_npi=npi,
                                              is_dependent=level == "23", rejections=list(upper))
                    if level == "22":
                        sub = cur
                    elif sub is not None:
                        cur.member_id = sub.member_id
                        cur.group_number = sub.group_number
                    out.append(cur)
                    produced += 1
                else:
                    cur = None
            elif tag == "NM1":
                q = s.el(1)
                if cur is None:
                    if q in ("PR", "2B", "36", "GP", "P5"):
                        payer = (s.el(3), s.el(9) or None)
                    elif level == "21":
                        npi = s.el(9) or None
                elif ben is None and q in ("IL", "03"):
                    cur.last_name, cur.first_name = s.el(3) or None, s.el(4) or None
                    if s.el(9):
                        cur.member_id = s.el(9)
                elif ben is not None:                       # 2120C/D: an entity of this benefit
                    ben.entities.append(BenefitEntity(q, s.el(3) or None, s.el(8) or None, s.el(9) or None))
            elif tag == "TRN" and cur is not None:
                cur.trace_numbers.append(s.el(2))
            elif tag == "AAA":
                r = Rejection(s.el(3), s.el(4), s.el(1),
                              "benefit" if ben is not None else {"20": "payer", "21": "provider", "22": "subscriber",
                                                                 "23": "dependent"}.get(level, level))
                if cur is None:
                    upper.append(r)
                else:
                    cur.rejections.append(r)
            elif tag == "DMG" and cur is not None and ben is None:
                cur.birth_date, cur.sex = date_range("D8", s.el(2))[0], s.el(3) or None
            elif tag == "INS" and cur is not None:
                cur.relationship_code = s.el(2) or None
            elif tag == "REF" and cur is not None and ben is None and s.el(1) in ("6P", "18", "1L"):
                cur.group_number = s.el(2)
            elif tag == "DTP" and cur is not None:
                rng = date_range(s.el(2), s.el(3))
                (ben.dates if ben is not None else cur.dates)[s.el(1)] = rng
            elif tag == "EB" and cur is not None:
                # EB01-EB12 read once (s.el(n) for each: "" when absent), seven EBs to a plan's answer
                e = s.elements[:12]
                if len(e) < 12:
                    e += [""] * (12 - len(e))
                ben = Benefit(code=e[0], coverage_level=e[1] or None,
                              service_types=[x for x in s.repeats(3) if x], insurance_type=e[3] or None,
                              plan_description=e[4] or None, time_period=e[5] or None,
                              amount=dec(e[6], s), percent=dec(e[7], s), quantity_qualifier=e[8] or None,
                              quantity=dec(e[9], s), authorization_required=e[10] or None,
                              in_network=e[11] or None)
                cur.benefits.append(ben)
            elif tag == "MSG" and ben is not None:
                ben.messages.append(s.el(1))
        # a subscriber level that only carries its dependents (no trace, no benefits) is not an answer
        mine = out[start:]
        if any(r.is_dependent for r in mine):
            keep = [r for r in mine if r.is_dependent or r.trace_numbers or r.benefits
                    or len(r.rejections) > len(upper)]
            out[start:] = keep
        if produced == 0:
            out.append(EligibilityResponse(payer_name=payer[0], payer_id=payer[1], provider_npi=npi,
                                           rejections=upper))
    return out


# --------------------------------------------------------------------------- building

def _dtp(q, rng):
    a, b = rng
    if b and b != a:
        return ["DTP", q, "RD8", f"{fmt_date(a)}-{fmt_date(b)}"]
    return ["DTP", q, "D8", fmt_date(a)]


def _eb(b: Benefit) -> list:
    return ["EB", b.code, b.coverage_level or "", b.service_types[0] if len(b.service_types) == 1 else
            (b.service_types and [[x] for x in b.service_types]) or "",
            b.insurance_type or "", b.plan_description or "", b.time_period or "",
            "" if b.amount is None else money(b.amount), "" if b.percent is None else fmt_amount(b.percent),
            b.quantity_qualifier or "", "" if b.quantity is None else fmt_amount(b.quantity),
            b.authorization_required or "", b.in_network or ""]


def build_271(responses: list[EligibilityResponse], *, sender_id: str, receiver_id: str,
              interchange_control_number: int, group_control_number: int, transaction_control_number: int = 1,
              payer_name: str = "SANDBOX PAYER", payer_id: str | None = None, provider_npi: str = "1999999984",
              provider_name: str = "PROVIDER", usage_indicator: str = "P", created: dt.datetime | None = None,
              delimiters: Delimiters = DEFAULT, line_breaks: bool = False) -> bytes:
    """One 271 answering ``responses`` (each: trace_numbers, member, dates, benefits, rejections).

    A dependent response (is_dependent) is written as a subscriber level (member id) with a
    dependent level below it carrying the TRN, benefits and AAA."""
    created = created or dt.datetime.now()
    segs: list[list] = [["BHT", "0022", "11", str(transaction_control_number), created.strftime("%Y%m%d"),
                         created.strftime("%H%M")],
                        ["HL", "1", "", "20", "1"],
                        ["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id or sender_id],
                        ["HL", "2", "1", "21", "1" if responses else "0"],
                        ["NM1", "1P", "2", provider_name, "", "", "", "", "XX", provider_npi]]
    hl = 2
    for r in responses:
        hl += 1
        sub_hl = hl
        segs.append(["HL", str(hl), "2", "22", "1" if r.is_dependent else "0"])

        def person(code, r=r, with_id=True):
            out = []
            for tr in r.trace_numbers:
                out.append(["TRN", "2", tr, "9999999999"])
            out.append(["NM1", code, "1", r.last_name or "UNKNOWN", r.first_name or "", "", "", "",
                         "MI" if with_id and r.member_id else "", (r.member_id or "") if with_id else ""])
            if r.group_number and with_id:
                out.append(["REF", "6P", r.group_number])
            for rej in r.rejections:
                out.append(["AAA", rej.valid_request or "N", "", rej.reason_code, rej.follow_up_action or "C"])
            if r.birth_date:
                out.append(["DMG", "D8", fmt_date(r.birth_date), r.sex or ""])
            if r.is_dependent and r.relationship_code:
                out.append(["INS", "N", r.relationship_code])
            for q, rng in r.dates.items():
                out.append(_dtp(q, rng))
            for b in r.benefits:
                out.append(_eb(b))
                for q, rng in b.dates.items():
                    out.append(_dtp(q, rng))
                for m in b.messages:
                    out.append(["MSG", m])
                if b.entities:
                    out.append(["LS", "2120"])
                    for e in b.entities:
                        out.append(["NM1", e.entity_code, "2", e.name or "", "", "", "", "",
                                    e.id_qualifier or ("PI" if e.identifier else ""), e.identifier or ""])
                    out.append(["LE", "2120"])
            return out

        if r.is_dependent:
            segs.append(["NM1", "IL", "1", "SUBSCRIBER", "", "", "", "", "MI", r.member_id or "UNKNOWN"])
            hl += 1
            segs.append(["HL", str(hl), str(sub_hl), "23", "0"])
            segs += person("03", with_id=False)
        else:
            segs += person("IL")
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HB", sender_id, receiver_id, group_control_number, VERSION,
                               [("271", f"{transaction_control_number:04d}", segs)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)
