"""835 remittance (005010X221A1): parse into dataclasses (Decimal money) and build."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

from ._common import ZERO, Adjustment, amount, cas_segments, date8, dec, m2, money, name_of, parse_cas, transactions
from .errors import Finding
from .reader import Delimiters, Segment, TransactionSet
from .schema import X221A1, compiled
from .writer import DEFAULT, build_interchange, fmt_amount, fmt_date

VERSION = "005010X221A1"

CLAIM_STATUS = {
    "1": "Processed as primary", "2": "Processed as secondary", "3": "Processed as tertiary",
    "4": "Denied", "19": "Processed as primary, forwarded to additional payer(s)",
    "20": "Processed as secondary, forwarded to additional payer(s)",
    "21": "Processed as tertiary, forwarded to additional payer(s)",
    "22": "Reversal of previous payment", "23": "Not our claim, forwarded to additional payer(s)",
    "25": "Predetermination pricing only - no payment",
}


@dataclass
class ServicePayment:
    procedure_code: str
    charge: Decimal
    paid: Decimal
    procedure_qualifier: str = "HC"
    modifiers: list[str] = field(default_factory=list)
    revenue_code: str | None = None
    units: Decimal | None = None
    original_procedure: str | None = None        # SVC06-2 (when the payer changed the code)
    original_units: Decimal | None = None        # SVC07
    service_date: dt.date | None = None          # DTM*472 (or 150)
    service_end_date: dt.date | None = None      # DTM*151
    line_control_number: str | None = None       # REF*6R: our line id
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)     # LQ*HE
    allowed_amount: Decimal | None = None        # AMT*B6

    def to_dict(self):
        return {"procedure_code": self.procedure_code, "modifiers": list(self.modifiers),
                "charge": m2(self.charge), "paid": m2(self.paid), "revenue_code": self.revenue_code,
                "units": None if self.units is None else fmt_amount(self.units),
                "original_procedure": self.original_procedure,
                "service_date": self.service_date.isoformat() if self.service_date else None,
                "line_control_number": self.line_control_number,
                "adjustments": [a.to_dict() for a in self.adjustments],
                "remark_codes": list(self.remark_codes), "allowed_amount": m2(self.allowed_amount)}


@dataclass
class ClaimPayment:
    claim_id: str                                 # CLP01: our claim id
    status_code: str                              # CLP02 (22 = reversal)
    charge: Decimal                               # CLP03
    paid: Decimal                                 # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str = ""                    # CLP06
    payer_claim_control_number: str = ""          # CLP07
    facility_code: str | None = None              # CLP08
    frequency_code: str | None = None             # CLP09
    adjustments: list[Adjustment] = field(default_factory=list)
    patient_name: str | None = None               # NM1*QC
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    patient_id: str | None = None
    insured_name: str | None = None               # NM1*IL
    insured_id: str | None = None
    corrected_name: str | None = None             # NM1*74
    corrected_id: str | None = None
    rendering_npi: str | None = None              # NM1*82
    remark_codes: list[str] = field(default_factory=list)   # MIA / MOA remark codes
    received_date: dt.date | None = None          # DTM*050
    statement_from: dt.date | None = None         # DTM*232
    statement_to: dt.date | None = None           # DTM*233
    amounts: dict[str, Decimal] = field(default_factory=dict)   # AMT qualifier → amount
    lines: list[ServicePayment] = field(default_factory=list)
    # where the claim payment loop (2100 with its 2110s, per the loop schema) sits in the file, in bytes: the
    # Billing UI reads only these (billing.edi_claim_slices); None when built, not read
    offset: int | None = field(default=None, compare=False, repr=False)
    length: int | None = field(default=None, compare=False, repr=False)

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def status_description(self) -> str:
        return CLAIM_STATUS.get(self.status_code, "Unknown claim status")

    def to_dict(self):
        return {"claim_id": self.claim_id, "status_code": self.status_code,
                "status": self.status_description,
                "charge": m2(self.charge), "paid": m2(self.paid),
                "patient_responsibility": m2(self.patient_responsibility),
                "filing_indicator": self.filing_indicator,
                "payer_claim_control_number": self.payer_claim_control_number,
                "facility_code": self.facility_code, "frequency_code": self.frequency_code,
                "adjustments": [a.to_dict() for a in self.adjustments],
                "remark_codes": list(self.remark_codes),
                "statement_from": self.statement_from.isoformat() if self.statement_from else None,
                "statement_to": self.statement_to.isoformat() if self.statement_to else None,
                "received_date": self.received_date.isoformat() if self.received_date else None,
                "lines": [ln.to_dict() for ln in self.lines]}


@dataclass
class ProviderAdjustment:
    provider_id: str
    fiscal_period_date: dt.date | None
    reason_code: str                  # PLB03-1 e.g. WO, L6, FB, CS
    reference: str | None             # PLB03-2
    amount: Decimal                   # positive reduces the payment

    def to_dict(self):
        return {"provider_id": self.provider_id, "reason_code": self.reason_code,
                "reference": self.reference, "amount": m2(self.amount),
                "fiscal_period_date": self.fiscal_period_date.isoformat() if self.fiscal_period_date else None}


@dataclass
class Remittance835:
    payment_amount: Decimal           # BPR02
    trace_number: str                 # TRN02
    handling_code: str = "I"          # BPR01
    credit_debit: str = "C"           # BPR03
    payment_method: str = "CHK"       # BPR04: ACH, CHK, NON, FWT, BOP
    payment_date: dt.date | None = None   # BPR16 (may be missing in partner files)
    payer_trace_id: str = ""          # TRN03 (1 + payer TIN)
    payer_name: str = ""
    payer_id: str | None = None       # N1*PR N104 or REF*2U
    payee_name: str = ""
    payee_id: str | None = None       # N1*PE N104
    payee_id_qualifier: str = "XX"
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    control_number: str = ""          # ST02
    production_date: dt.date | None = None  # DTM*405
    findings: list[Finding] = field(default_factory=list)
    header_offset: int | None = field(default=None, compare=False, repr=False)   # its interchange's ISA

    def to_dict(self):
        return {"payment_amount": m2(self.payment_amount), "trace_number": self.trace_number,
                "handling_code": self.handling_code, "credit_debit": self.credit_debit,
                "payment_method": self.payment_method,
                "payment_date": self.payment_date.isoformat() if self.payment_date else None,
                "payer_trace_id": self.payer_trace_id, "payer_name": self.payer_name,
                "payer_id": self.payer_id, "payee_name": self.payee_name, "payee_id": self.payee_id,
                "claims": [c.to_dict() for c in self.claims],
                "provider_adjustments": [p.to_dict() for p in self.provider_adjustments]}


def _svc(s: Segment) -> ServicePayment:
    comp = s.composite(1)
    orig = s.composite(6)
    return ServicePayment(
        procedure_qualifier=comp[0] if comp else "",
        procedure_code=comp[1] if len(comp) > 1 else "",
        modifiers=[m for m in comp[2:6] if m],
        charge=amount(s, 2, ZERO), paid=amount(s, 3, ZERO),
        revenue_code=s.el(4) or None, units=dec(s.el(5), s),
        original_procedure=orig[1] if len(orig) > 1 else None,
        original_units=dec(s.el(7), s))


_X221A1 = compiled(X221A1)     # the 835 loop schema as lookup tables, built once at import
# the states inside a claim payment (2100 and its service lines, 2110): leaving them ends the
# claim's bytes (ClaimPayment.offset/length, "the bytes of claim X")
_CLAIM_STATES = frozenset(i for i, p in enumerate(_X221A1.path) if "2100" in p)
# a CLP without its LX header (partner files) is read where the guide puts it
_CLP_STATE = _X221A1.recover[("CLP", None)][0]


def _misplaced(tag: str, s: Segment, claim) -> int | None:
    """Where a loop start that has no place where it stands is read anyway, as the parser always
    has: a CLP without its LX header, and the payer/payee N1 out of order or after LX (outside a
    claim). None: the segment is skipped."""
    if tag == "CLP":
        return _CLP_STATE
    if tag == "N1" and claim is None:
        a = _X221A1.recover.get(("N1", s.el(1)))
        return a[0] if a is not None else None
    return None


def _ends_claim(state: int, tag: str, s: Segment) -> bool:
    """Whether a segment that the schema places outside the claim ends it: one that opens a loop
    (LX) or the summary (PLB); a heading segment (TRN, TS3 …) misplaced inside a claim does not."""
    act = _X221A1.rows[state][tag]
    if act.__class__ is dict:
        act = act.get(s.el(_X221A1.qualifier_element[tag]), act[None])
    return act[1] or tag in _X221A1.schema.summary


def parse_835_transaction(t: TransactionSet) -> Remittance835:
    """Read one 835 transaction set. Which loop a segment belongs to comes from the 835 loop
    schema (``schema.X221A1``): one table lookup per segment gives the loop it stays in or opens;
    the code below only maps each loop's segments onto the dataclasses. Segments the schema has
    no place for where they stand are skipped (``validate`` reports them)."""
    r = Remittance835(payment_amount=ZERO, trace_number="", control_number=t.control_number)
    r.findings = list(t.findings)
    comp = _X221A1
    steps, loop_of, qpos, claim_states = comp.steps, comp.loop, comp.qualifier_element, _CLAIM_STATES
    claim: ClaimPayment | None = None
    line: ServicePayment | None = None
    party = None
    saw_bpr = False
    isa = t.group.interchange.header if t.group is not None and t.group.interchange is not None else None
    r.header_offset = isa.offset if isa is not None else None
    state = 0
    step = steps[0]
    loop = loop_of[0]
    for s in t.segments:
        tag = s.tag
        try:
            new = step[tag]     # the state after this segment: one lookup, no allocation
        except KeyError:
            new = None
        if new.__class__ is dict:
            new = new.get(s.el(qpos[tag]), new[None])
        if new is None:
            new = _misplaced(tag, s, claim)
            if new is None:
                if tag == "N1":          # a party we don't read: its REFs are not the payer's
                    party = None
                continue
        if new != state:
            if claim is not None and new not in claim_states:
                if _ends_claim(state, tag, s):
                    if claim.length is None:
                        claim.length = s.offset - claim.offset
                    claim = None
                else:
                    new = state          # a heading segment inside a claim: read, and the claim goes on
            state = new
            step = steps[new]
            loop = loop_of[new]
            line = None if loop != "2110" else line
        if tag == "CAS":
            if line is not None:
                line.adjustments += parse_cas(s)
            elif claim is not None:
                claim.adjustments += parse_cas(s)
        elif tag == "DTM":
            q = s.el(1)
            d = date8(s.el(2))
            if line is not None and q in ("472", "150"):
                line.service_date = d
            elif line is not None and q == "151":
                line.service_end_date = d
            elif claim is not None and q == "050":
                claim.received_date = d
            elif claim is not None and q == "232":
                claim.statement_from = d
            elif claim is not None and q == "233":
                claim.statement_to = d
            elif claim is None and q == "405":
                r.production_date = d
        elif tag == "SVC":
            if claim is not None:
                line = _svc(s)
                claim.lines.append(line)
        elif tag == "REF":
            if line is not None and s.el(1) == "6R":
                line.line_control_number = s.el(2)
            elif claim is None and party == "PR" and s.el(1) == "2U" and not r.payer_id:
                r.payer_id = s.el(2)
        elif tag == "AMT":
            if line is not None:
                if s.el(1) == "B6":
                    line.allowed_amount = amount(s, 2)
            elif claim is not None:
                claim.amounts[s.el(1)] = amount(s, 2, ZERO)
        elif tag == "CLP":
            if claim is not None and claim.length is None:
                claim.length = s.offset - claim.offset
            claim = ClaimPayment(claim_id=s.el(1), status_code=s.el(2), charge=amount(s, 3, ZERO),
                                 paid=amount(s, 4, ZERO), patient_responsibility=amount(s, 5),
                                 filing_indicator=s.el(6), payer_claim_control_number=s.el(7),
                                 facility_code=s.el(8) or None, frequency_code=s.el(9) or None)
            claim.offset = s.offset
            r.claims.append(claim)
            line = None
        elif tag == "NM1":
            if claim is not None:
                q = s.el(1)
                if q == "QC":
                    claim.patient_name, claim.patient_id = name_of(s), s.el(9) or None
                    claim.patient_last_name, claim.patient_first_name = s.el(3) or None, s.el(4) or None
                elif q == "IL":
                    claim.insured_name, claim.insured_id = name_of(s), s.el(9) or None
                elif q == "74":
                    claim.corrected_name, claim.corrected_id = name_of(s), s.el(9) or None
                elif q == "82":
                    claim.rendering_npi = s.el(9) or None
        elif tag == "LQ":
            if line is not None and s.el(1) == "HE":
                line.remark_codes.append(s.el(2))
        elif tag == "MOA":
            if claim is not None:
                claim.remark_codes += [s.el(k) for k in (3, 4, 5, 6, 7) if s.el(k)]
        elif tag == "MIA":
            if claim is not None:
                claim.remark_codes += [s.el(k) for k in (5, 20, 21, 22, 23) if s.el(k)]
        elif tag == "BPR":
            saw_bpr = True
            r.handling_code = s.el(1)
            r.payment_amount = amount(s, 2, ZERO)
            r.credit_debit = s.el(3)
            r.payment_method = s.el(4)
            r.payment_date = date8(s.el(16))
            if not s.el(16):
                r.findings.append(Finding("warning", "bpr16_missing", "BPR16 payment date missing",
                                          "BPR", s.index, "BPR16"))
        elif tag == "TRN":
            if claim is not None:
                continue
            r.trace_number = s.el(2)
            r.payer_trace_id = s.el(3)
        elif tag == "N1":
            party = s.el(1)
            if party == "PR":
                r.payer_name = s.el(2)
                r.payer_id = s.el(4) or r.payer_id
            elif party == "PE":
                r.payee_name = s.el(2)
                r.payee_id = s.el(4) or None
                r.payee_id_qualifier = s.el(3)
        elif tag == "PLB":
            prov, fp = s.el(1), date8(s.el(2))
            for k in range(3, 15, 2):
                if s.el(k):
                    comp5 = s.composite(k)
                    r.provider_adjustments.append(ProviderAdjustment(
                        prov, fp, comp5[0] if comp5 else "", comp5[1] if len(comp5) > 1 and comp5[1] else None,
                        amount(s, k + 1, ZERO)))
    if claim is not None and claim.length is None and t.trailer is not None:
        claim.length = t.trailer.offset - claim.offset
    if not saw_bpr:
        r.findings.append(Finding("error", "bpr_missing", "835 without BPR", "ST", t.header.index))
    return r


def iter_835(source, name: str | None = None) -> Iterator[Remittance835]:
    """Every 835 transaction set in ``source``, parsed one at a time as the reader streams the file."""
    for t in transactions(source, ("835",), name):
        yield parse_835_transaction(t)


def parse_835(source, name: str | None = None) -> list[Remittance835]:
    """Every 835 transaction set in ``source`` (bytes/path/file, a TransactionSet or a list of them)."""
    return list(iter_835(source, name))


# --------------------------------------------------------------------------- building

def _svc_segments(ln: ServicePayment) -> list[list]:
    segs = [["SVC", [ln.procedure_qualifier or "HC", ln.procedure_code, *ln.modifiers], money(ln.charge),
             money(ln.paid), ln.revenue_code or "",
             "" if ln.units is None else fmt_amount(ln.units),
             ["HC", ln.original_procedure] if ln.original_procedure else "",
             "" if ln.original_units is None else fmt_amount(ln.original_units)]]
    if ln.service_date:
        segs.append(["DTM", "472", fmt_date(ln.service_date)])
    segs += cas_segments(ln.adjustments)
    if ln.line_control_number:
        segs.append(["REF", "6R", ln.line_control_number])
    if ln.allowed_amount is not None:
        segs.append(["AMT", "B6", money(ln.allowed_amount)])
    for rc in ln.remark_codes:
        segs.append(["LQ", "HE", rc])
    return segs


def remittance_segments(r: Remittance835, *, payer_contact_phone: str = "8005551212",
                        production_date: dt.date | None = None) -> list[list]:
    """Body segments (between ST and SE) of one 835."""
    pdate = r.payment_date or production_date or dt.date.today()
    if r.payment_method == "ACH":
        bpr = ["BPR", r.handling_code, money(r.payment_amount), r.credit_debit, "ACH", "CCP",
               "01", "999999992", "DA", "123456", (r.payer_trace_id or "1999999999"), "",
               "01", "999988880", "DA", "98765", fmt_date(pdate)]
    else:
        bpr = ["BPR", r.handling_code, money(r.payment_amount), r.credit_debit, r.payment_method or "CHK",
               "", "", "", "", "", "", "", "", "", "", "", fmt_date(pdate)]
    payer_trace = (r.payer_trace_id or "1999999999")
    segs: list[list] = [bpr, ["TRN", "1", r.trace_number, payer_trace]]
    if r.production_date:
        segs.append(["DTM", "405", fmt_date(r.production_date)])
    segs.append(["N1", "PR", r.payer_name])
    segs.append(["N3", "PO BOX 1"])
    segs.append(["N4", "ANYTOWN", "IL", "60601"])
    if r.payer_id:
        segs.append(["REF", "2U", r.payer_id])
    segs.append(["PER", "BL", "EDI SUPPORT", "TE", payer_contact_phone])
    segs.append(["N1", "PE", r.payee_name, r.payee_id_qualifier or "XX", r.payee_id or ""])
    if r.claims:
        segs.append(["LX", "1"])
    for c in r.claims:
        segs.append(["CLP", c.claim_id, c.status_code, money(c.charge), money(c.paid),
                     "" if c.patient_responsibility is None else money(c.patient_responsibility),
                     c.filing_indicator or "12", c.payer_claim_control_number, c.facility_code or "",
                     c.frequency_code or ""])
        segs += cas_segments(c.adjustments)
        if c.patient_last_name or c.patient_id:
            segs.append(["NM1", "QC", "1", c.patient_last_name or "UNKNOWN", c.patient_first_name or "",
                         "", "", "", "MI" if c.patient_id else "", c.patient_id or ""])
        else:
            segs.append(["NM1", "QC", "1", "UNKNOWN"])
        if c.insured_id:
            segs.append(["NM1", "IL", "1", (c.insured_name or "UNKNOWN").split(",")[0], "", "", "", "",
                         "MI", c.insured_id])
        if c.corrected_name or c.corrected_id:
            segs.append(["NM1", "74", "1", (c.corrected_name or "").split(",")[0], "", "", "", "",
                         "C" if c.corrected_id else "", c.corrected_id or ""])
        if c.rendering_npi:
            segs.append(["NM1", "82", "1", "PROVIDER", "", "", "", "", "XX", c.rendering_npi])
        if c.remark_codes:
            segs.append(["MOA", "", "", *c.remark_codes[:5]])
        if c.statement_from:
            segs.append(["DTM", "232", fmt_date(c.statement_from)])
        if c.statement_to:
            segs.append(["DTM", "233", fmt_date(c.statement_to)])
        if c.received_date:
            segs.append(["DTM", "050", fmt_date(c.received_date)])
        for q, amt in c.amounts.items():
            segs.append(["AMT", q, money(amt)])
        for ln in c.lines:
            segs += _svc_segments(ln)
    # PLB: up to 6 adjustments per segment, per provider/fiscal period
    groups: dict = {}
    for p in r.provider_adjustments:
        groups.setdefault((p.provider_id, p.fiscal_period_date), []).append(p)
    for (prov, fp), items in groups.items():
        for i in range(0, len(items), 6):
            seg = ["PLB", prov, fmt_date(fp or dt.date(pdate.year, 12, 31))]
            for p in items[i:i + 6]:
                seg += [[p.reason_code, p.reference or ""], money(p.amount)]
            segs.append(seg)
    return segs


def build_835(remittances: list[Remittance835], *, sender_id: str, receiver_id: str,
              interchange_control_number: int, group_control_number: int,
              first_transaction_control_number: int = 1, usage_indicator: str = "P",
              created: dt.datetime | None = None, delimiters: Delimiters = DEFAULT,
              line_breaks: bool = False) -> bytes:
    """One interchange, one HP group, one 835 per remittance (pyx12-valid)."""
    created = created or dt.datetime.now()
    txs = [("835", f"{first_transaction_control_number + i:04d}",
            remittance_segments(r, production_date=created.date()))
           for i, r in enumerate(remittances)]
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HP", sender_id, receiver_id, group_control_number, VERSION, txs)],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)
