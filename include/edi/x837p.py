"""837P (005010X222A1): build from Claim837 objects, parse back into Claim837 objects."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, Iterator

from ._common import cas_items, cas_segments, date8, dec
from .model import (
    Address,
    Claim837,
    LineAdjudication,
    OtherPayerAdjudication,
    PatientDependent,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from .reader import Delimiters, Segment, TransactionSet, iter_transactions
from .schema import X222A1, compiled
from .writer import DEFAULT, build_interchange, fmt_amount, fmt_date

VERSION = "005010X222A1"


# --------------------------------------------------------------------------- building

def _nm1(code: str, p, id_qual: str | None, id_value: str | None) -> list:
    if getattr(p, "org_name", None) or not getattr(p, "last_name", None):
        name = getattr(p, "org_name", None) or getattr(p, "name", "")
        seg = ["NM1", code, "2", name, "", "", "", ""]
    else:
        seg = ["NM1", code, "1", p.last_name, p.first_name or "", p.middle_name or "", "", ""]
    if id_value:
        seg += [id_qual, id_value]
    return seg


def _addr(a: Address | None) -> list[list]:
    if a is None:
        return []
    n3 = ["N3", a.line1] + ([a.line2] if a.line2 else [])
    return [n3, ["N4", a.city, a.state, a.zip]]


def _money(v) -> str:
    return fmt_amount(Decimal(v))


def _claim_segments(c: Claim837) -> list[list]:
    segs: list[list] = []
    clm = ["CLM", c.claim_id, _money(c.total_charge), "", "", [c.place_of_service, "B", c.frequency_code],
           "Y", "A", "Y", "Y"]
    if c.accident_type:
        clm += ["", [c.accident_type, "", "", c.accident_state or ""]]
    segs.append(clm)
    if c.onset_date:
        segs.append(["DTP", "431", "D8", fmt_date(c.onset_date)])
    if c.accident_date:
        segs.append(["DTP", "439", "D8", fmt_date(c.accident_date)])
    if c.patient_paid is not None:
        segs.append(["AMT", "F5", _money(c.patient_paid)])
    if c.prior_authorization:
        segs.append(["REF", "G1", c.prior_authorization])
    if c.frequency_code in ("7", "8"):
        if not c.payer_claim_control_number:
            raise ValueError(f"claim {c.claim_id}: frequency {c.frequency_code} needs payer_claim_control_number (REF*F8)")
    if c.payer_claim_control_number:
        segs.append(["REF", "F8", c.payer_claim_control_number])
    if not c.diagnosis_codes:
        raise ValueError(f"claim {c.claim_id}: at least one diagnosis code is required")
    if len(c.diagnosis_codes) > 12:
        raise ValueError(f"claim {c.claim_id}: at most 12 diagnosis codes")
    hi = ["HI"]
    for i, code in enumerate(c.diagnosis_codes):
        hi.append(["ABK" if i == 0 else "ABF", code.replace(".", "")])
    segs.append(hi)
    if c.referring_provider:
        segs.append(_nm1("DN", c.referring_provider, "XX", c.referring_provider.npi))
    if c.rendering_provider:
        segs.append(_nm1("82", c.rendering_provider, "XX", c.rendering_provider.npi))
        if c.rendering_provider.taxonomy:
            segs.append(["PRV", "PE", "PXC", c.rendering_provider.taxonomy])
    if c.service_facility:
        f = c.service_facility
        segs.append(["NM1", "77", "2", f.org_name or f.last_name or "", "", "", "", ""]
                    + (["XX", f.npi] if f.npi else []))
        segs += _addr(f.address)
    for op in c.other_payers:
        segs.append(["SBR", op.payer_responsibility, op.relationship_code, op.group_number or "",
                     "", "", "", "", "", op.claim_filing_indicator])
        segs += cas_segments(op.adjustments)
        if op.paid_amount is not None:
            segs.append(["AMT", "D", _money(op.paid_amount)])
        segs.append(["OI", "", "", "Y", "", "", "Y"])
        segs.append(["NM1", "IL", "1", op.subscriber_last_name, op.subscriber_first_name or "", "", "", "",
                      "MI", op.subscriber_member_id])
        segs.append(["NM1", "PR", "2", op.payer_name, "", "", "", "", "PI", op.payer_id])
        if op.adjudication_date:
            segs.append(["DTP", "573", "D8", fmt_date(op.adjudication_date)])
    if not c.lines:
        raise ValueError(f"claim {c.claim_id}: at least one service line is required")
    if len(c.lines) > 50:
        raise ValueError(f"claim {c.claim_id}: at most 50 service lines")
    for n, ln in enumerate(c.lines, 1):
        segs.append(["LX", str(n)])
        if len(ln.modifiers) > 4 or len(ln.dx_pointers) > 4 or not ln.dx_pointers:
            raise ValueError(f"claim {c.claim_id} line {n}: 1-4 pointers and at most 4 modifiers")
        segs.append(["SV1", ["HC", ln.procedure_code, *ln.modifiers], _money(ln.charge), "UN",
                     fmt_amount(ln.units), ln.place_of_service or "", "",
                     [str(p) for p in ln.dx_pointers]])
        if ln.service_date:
            segs.append(["DTP", "472", "D8", fmt_date(ln.service_date)])
        segs.append(["REF", "6R", ln.line_control_number])
        if ln.ndc:
            segs.append(["LIN", "", "N4", ln.ndc])
            segs.append(["CTP", "", "", "", fmt_amount(ln.ndc_units if ln.ndc_units is not None else ln.units),
                         ln.ndc_unit_code])
        for adj in ln.adjudications:
            segs.append(["SVD", adj.other_payer_id, _money(adj.paid), ["HC", adj.procedure_code, *adj.modifiers],
                         "", fmt_amount(adj.units)])
            segs += cas_segments(adj.adjustments)
            segs.append(["DTP", "573", "D8", fmt_date(adj.adjudication_date)])
    return segs


def _provider_key(p: Provider):
    return (p.npi, p.tax_id, p.org_name, p.last_name, p.first_name, p.taxonomy,
            _akey(p.address))


def _akey(a):
    return None if a is None else (a.line1, a.line2, a.city, a.state, a.zip)


def _subscriber_key(s: Subscriber, payer: Payer):
    return (s.member_id, s.last_name, s.first_name, s.middle_name, s.birth_date, s.sex, _akey(s.address),
            s.group_number, s.relationship_code if s.relationship_code == "18" else "",
            s.claim_filing_indicator, s.payer_responsibility, payer.payer_id, payer.name, _akey(payer.address))


def _patient_key(p: PatientDependent):
    return (p.last_name, p.first_name, p.middle_name, p.birth_date, p.sex, p.relationship_code, _akey(p.address))


def _transaction_body(claims: list[Claim837], submitter: Submitter, receiver: Receiver,
                      bht_ref: str, created: dt.datetime, marks: list | None = None) -> Iterator[list]:
    """The segments of one transaction set between ST and SE, a subscriber level at a time: the writer
    turns them into text as they come, so a file's segment lists never pile up in memory (where the
    garbage collector would walk them again and again). ``marks``, when given, receives per claim
    (CLM01, its subscriber level's (start, end), its patient level's (start, end) or None, its 2300
    loop's (start, end)): indexes into the sequence of segments, end exclusive, complete once it has
    been read to its end; a level is its HL with the segments and name loops before its first claim
    or child level."""
    segs: list[list] = [
        ["BHT", "0019", "00", bht_ref, created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"],
        ["NM1", "41", "2", submitter.name, "", "", "", "", "46", submitter.id],
        ["PER", "IC", submitter.contact_name, "TE", submitter.phone],
        ["NM1", "40", "2", receiver.name, "", "", "", "", "46", receiver.id],
    ]
    # hierarchy: billing provider → subscriber → (dependent) → claims, in first-seen order
    tree: dict = {}
    for c in claims:
        bp = tree.setdefault(_provider_key(c.billing_provider) + (_provider_key(c.pay_to) if c.pay_to else None,),
                             {"claim": c, "subs": {}})
        is_dep = c.patient is not None and c.subscriber.relationship_code != "18"
        sk = _subscriber_key(c.subscriber, c.payer) + (is_dep,)
        sub = bp["subs"].setdefault(sk, {"claim": c, "own": [], "deps": {}})
        if is_dep:
            sub["deps"].setdefault(_patient_key(c.patient), []).append(c)
        else:
            sub["own"].append(c)
    hl = 0
    done = 0                # segments given before those in segs
    for bp in tree.values():
        hl += 1
        bp_hl = hl
        c0: Claim837 = bp["claim"]
        b = c0.billing_provider
        segs.append(["HL", str(bp_hl), "", "20", "1"])
        if b.taxonomy:
            segs.append(["PRV", "BI", "PXC", b.taxonomy])
        segs.append(_nm1("85", b, "XX", b.npi))
        segs += _addr(b.address)
        if b.tax_id:
            segs.append(["REF", "EI", b.tax_id])
        if c0.pay_to and _akey(c0.pay_to.address) != _akey(b.address):
            segs.append(["NM1", "87", "2" if c0.pay_to.org_name or not c0.pay_to.last_name else "1"])
            segs += _addr(c0.pay_to.address)
        for sub in bp["subs"].values():
            hl += 1
            sub_hl = hl
            c1: Claim837 = sub["claim"]
            s = c1.subscriber
            has_deps = bool(sub["deps"])
            sub_start = done + len(segs)
            segs.append(["HL", str(sub_hl), str(bp_hl), "22", "1" if has_deps else "0"])
            segs.append(["SBR", s.payer_responsibility, "" if has_deps else "18", s.group_number or "",
                         "", "", "", "", "", s.claim_filing_indicator])
            segs.append(["NM1", "IL", "1", s.last_name, s.first_name or "", s.middle_name or "", "", "",
                         "MI", s.member_id])
            segs += _addr(s.address)
            if s.birth_date or not has_deps:
                segs.append(["DMG", "D8", fmt_date(s.birth_date) if s.birth_date else "", s.sex or "U"])
            p = c1.payer
            segs.append(["NM1", "PR", "2", p.name, "", "", "", "", "PI", p.payer_id])
            segs += _addr(p.address)
            sub_level = (sub_start, done + len(segs))
            for c in sub["own"]:
                start = done + len(segs)
                segs += _claim_segments(c)
                if marks is not None:
                    marks.append((c.claim_id, sub_level, None, (start, done + len(segs))))
            for dep_claims in sub["deps"].values():
                hl += 1
                d = dep_claims[0].patient
                dep_start = done + len(segs)
                segs.append(["HL", str(hl), str(sub_hl), "23", "0"])
                segs.append(["PAT", d.relationship_code])
                segs.append(["NM1", "QC", "1", d.last_name, d.first_name or "", d.middle_name or ""])
                segs += _addr(d.address)
                segs.append(["DMG", "D8", fmt_date(d.birth_date), d.sex or "U"])
                dep_level = (dep_start, done + len(segs))
                for c in dep_claims:
                    start = done + len(segs)
                    segs += _claim_segments(c)
                    if marks is not None:
                        marks.append((c.claim_id, sub_level, dep_level, (start, done + len(segs))))
            yield from segs
            done += len(segs)
            segs = []
    yield from segs


def build_837p(claims: list[Claim837], *, submitter: Submitter, receiver: Receiver,
               interchange_control_number: int, group_control_number: int,
               first_transaction_control_number: int, max_claims_per_transaction: int = 5000,
               usage_indicator: str = "P", created: dt.datetime | None = None,
               delimiters: Delimiters = DEFAULT, line_breaks: bool = False,
               places: list | None = None) -> bytes:
    """Build one interchange with one functional group (HC) of 837P transaction sets.

    Claims are split into transaction sets of at most ``max_claims_per_transaction``;
    ST02 runs from ``first_transaction_control_number``.  Raises ValueError for claims
    that cannot be written validly (e.g. frequency 7 without REF*F8).

    ``places`` (a list), when given, receives each claim's ``registry.ClaimPlace`` as the writer
    laid the bytes out: the same list ``registry.claim_places`` reads back from the file (tests
    compare them), without a second pass over it. It stays empty when the file is not all ASCII
    (byte offsets would differ from character offsets); the caller then reads the file.
    """
    created = created or dt.datetime.now()
    if not claims:
        raise ValueError("no claims to build")
    txs = []
    all_marks: list = []
    for i in range(0, len(claims), max_claims_per_transaction):
        stcn = first_transaction_control_number + len(txs)
        chunk = claims[i:i + max_claims_per_transaction]
        marks: list | None = [] if places is not None else None
        body = _transaction_body(chunk, submitter, receiver, f"{group_control_number}-{stcn}", created, marks)
        txs.append(("837", f"{stcn:04d}", body))
        all_marks.append(marks)
    layout: dict | None = {} if places is not None else None
    data = build_interchange(submitter.id, receiver.id, interchange_control_number,
                             [("HC", submitter.id, receiver.id, group_control_number, VERSION, txs)],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks, layout=layout)
    if places is not None:
        places += _places(layout, all_marks, len(data))
    return data


def _places(layout: dict, all_marks: list, size: int) -> list:
    """ClaimPlaces from the writer's layout and the claims' marks (see ``build_837p``)."""
    from .registry import ClaimPlace, _merged

    texts = layout["segments"]
    starts = [0, *itertools.accumulate(map(len, texts))]
    if starts[-1] != size:          # not ASCII: character offsets are not byte offsets
        return []
    out = []
    for base, marks in zip(layout["body_starts"], all_marks):
        for claim_id, *levels in marks:
            ranges = [(starts[base + a], starts[base + b] - starts[base + a]) for a, b in filter(None, levels)]
            out.append(ClaimPlace(claim_id, 0, _merged(ranges)))
    return out


# --------------------------------------------------------------------------- parsing

def _party_from_nm1(s: Segment, cls=Provider):
    if s.el(2) == "1":
        p = cls(last_name=s.el(3), first_name=s.el(4) or None, middle_name=s.el(5) or None)
    else:
        p = cls(org_name=s.el(3))
    if s.el(8) == "XX":
        p.npi = s.el(9) or None
    return p


def _address(n3: Segment, n4: Segment | None) -> Address:
    return Address(line1=n3.el(1), line2=n3.el(2) or None, city=n4.el(1) if n4 else "",
                   state=n4.el(2) if n4 else "", zip=n4.el(3) if n4 else "")


_X222A1 = compiled(X222A1)     # the 837P loop schema as lookup tables, built once at import
# dates repeat across a file's lines (service and adjudication dates): read each string once
_day = lru_cache(maxsize=2048)(date8)
# a misplaced HL or CLM re-enters the tree where the guide puts it (the parser always read such files)
_RECOVERABLE = frozenset({"HL", "CLM"})


def _new_patient() -> PatientDependent:
    return PatientDependent(last_name="", first_name=None, birth_date=None, sex="U", relationship_code="")


def parse_837p(transaction: TransactionSet | Iterable[Segment]) -> list[Claim837]:
    """Read the claims of one 837 transaction set (its body segments) into Claim837 objects.

    Which loop a segment belongs to comes from the 837P loop schema (``schema.X222A1``): one
    table lookup per segment gives the loop it stays in or opens; the code below only maps
    each loop's segments onto the dataclasses.  Reads what is there (also 837I-shaped files
    and sample files that break the guide); fields the file does not carry are left at their
    defaults, and segments the schema has no place for are skipped.
    """
    segs = transaction.segments if isinstance(transaction, TransactionSet) else list(transaction)
    comp = _X222A1
    steps, loop_of, qpos, recover = comp.steps, comp.loop, comp.qualifier_element, comp.recover
    claims: list[Claim837] = []
    billing = Provider()
    pay_to = None
    subscriber = Subscriber(member_id="", last_name="")
    payer = Payer(name="", payer_id="")
    patient = None
    claim: Claim837 | None = None
    line: ServiceLine | None = None
    op: OtherPayerAdjudication | None = None
    adj: LineAdjudication | None = None
    target = None         # what N3/N4/DMG apply to
    n3 = None
    state = 0
    step = steps[0]
    loop = loop_of[0]
    for s in segs:
        t = s.tag
        try:
            new = step[t]       # the state after this segment: one lookup, no allocation
        except KeyError:
            new = None
        if new.__class__ is dict:
            new = new.get(s.el(qpos[t]), new[None])
        if new is None:
            a = recover.get((t, s.el(3) if t == "HL" else None)) if t in _RECOVERABLE else None
            if a is None:
                if t == "HL":            # a level we don't know: what follows belongs to no claim
                    claim = line = op = adj = None
                    n3 = None
                elif t == "NM1":         # a party we don't read: its address is not ours either
                    target = n3 = None
                continue
            new = a[0]
        if new != state:
            state = new
            step = steps[new]
            loop = loop_of[new]
        # ---- service lines first: most segments of a claim file are here
        if t == "LX":
            if claim is not None:
                line = ServiceLine(line_control_number="", procedure_code="", charge=Decimal(0), dx_pointers=[])
                claim.lines.append(line)
            op = adj = target = None
            continue
        if t == "SV1" or t == "SV2":
            if line is None:
                continue
            comp5 = s.composite(1) if t == "SV1" else s.composite(2)
            if t == "SV1":
                line.procedure_code = comp5[1] if len(comp5) > 1 else ""
                line.modifiers = [m for m in comp5[2:6] if m]
                line.charge = dec(s.el(2), s, Decimal(0))
                line.units = dec(s.el(4), s, Decimal(0))
                line.place_of_service = s.el(5) or None
                line.dx_pointers = [int(p) for p in s.composite(7) if p.isdigit()]
            else:
                line.procedure_code = comp5[1] if len(comp5) > 1 else s.el(1)
                line.modifiers = [m for m in comp5[2:6] if m]
                line.charge = dec(s.el(3), s, Decimal(0))
                line.units = dec(s.el(5), s, Decimal(0))
            continue
        if t == "DTP":
            q = s.el(1)
            if loop == "2400":
                if q == "472" and line is not None:
                    line.service_date = _day(s.el(3))
            elif loop == "2430":
                if q == "573" and adj is not None:
                    adj.adjudication_date = _day(s.el(3))
            elif loop == "2330B":
                if q == "573" and op is not None:
                    op.adjudication_date = _day(s.el(3))
            elif loop == "2300" and claim is not None:
                if q == "431":
                    claim.onset_date = _day(s.el(3))
                elif q == "439":
                    claim.accident_date = _day(s.el(3))
            continue
        if t == "REF":
            q = s.el(1)
            if loop == "2400":
                if q == "6R" and line is not None:
                    line.line_control_number = s.el(2)
            elif loop == "2300":
                if claim is not None:
                    if q == "F8":
                        claim.payer_claim_control_number = s.el(2)
                    elif q == "G1":
                        claim.prior_authorization = s.el(2)
            elif loop == "2010AA" and q == "EI":
                billing.tax_id = s.el(2)
            continue
        if t == "NM1":
            n3 = None
            target = None
            if loop == "2010AA":
                p = _party_from_nm1(s)
                billing.org_name, billing.last_name, billing.first_name, billing.middle_name, billing.npi = (
                    p.org_name, p.last_name, p.first_name, p.middle_name, p.npi)
                target = billing
            elif loop == "2010AB":
                pay_to = _party_from_nm1(s)
                pay_to.org_name = pay_to.org_name or None
                target = pay_to
            elif loop == "2010BA":
                subscriber.last_name = s.el(3)
                subscriber.first_name = s.el(4) or None
                subscriber.middle_name = s.el(5) or None
                subscriber.member_id = s.el(9)
                target = subscriber
            elif loop == "2010BB":
                payer.name, payer.payer_id = s.el(3), s.el(9)
                target = payer
            elif loop == "2010CA":
                if patient is None:
                    patient = _new_patient()
                patient.last_name, patient.first_name = s.el(3), s.el(4) or None
                patient.middle_name = s.el(5) or None
                target = patient
            elif op is not None and loop == "2330A":
                op.subscriber_last_name = s.el(3)
                op.subscriber_first_name = s.el(4) or None
                op.subscriber_member_id = s.el(9)
            elif op is not None and loop == "2330B":
                op.payer_name, op.payer_id = s.el(3), s.el(9)
            elif claim is not None and line is None:
                if loop == "2310A" and s.el(1) == "DN":
                    claim.referring_provider = target = _party_from_nm1(s)
                elif loop == "2310B":
                    claim.rendering_provider = target = _party_from_nm1(s)
                elif loop == "2310C":
                    claim.service_facility = target = _party_from_nm1(s)
            continue
        if t == "N3":
            n3 = s
            continue
        if t == "N4":
            if n3 is not None and target is not None and hasattr(target, "address"):
                target.address = _address(n3, s)
            n3 = None
            continue
        if t == "HL":
            claim = line = op = adj = None
            n3 = None
            if loop == "2000A":
                billing = Provider()
                pay_to = None
                target = billing
            elif loop == "2000B":
                subscriber = Subscriber(member_id="", last_name="")
                payer = Payer(name="", payer_id="")
                patient = None
                target = subscriber
            elif loop == "2000C":
                patient = target = _new_patient()
            continue
        if t == "CLM":
            comp5 = s.composite(5)
            rel = s.composite(11)
            has_patient = patient is not None and bool(patient.last_name)
            sub = subscriber
            if has_patient and patient.relationship_code and subscriber.relationship_code != patient.relationship_code:
                sub = dataclasses.replace(subscriber, relationship_code=patient.relationship_code)
            claim = Claim837(claim_id=s.el(1), total_charge=dec(s.el(2), s, Decimal(0)),
                             place_of_service=comp5[0] if comp5 else "",
                             billing_provider=billing, subscriber=sub, payer=payer, lines=[],
                             diagnosis_codes=[], frequency_code=comp5[2] if len(comp5) > 2 else "",
                             patient=patient if patient is not None and patient.last_name else None,
                             pay_to=pay_to)
            if rel and rel[0]:
                claim.accident_type = rel[0]
                claim.accident_state = rel[3] if len(rel) > 3 and rel[3] else None
            claims.append(claim)
            line = op = adj = target = None
            continue
        if t == "DMG":
            if target is not None and claim is None and hasattr(target, "birth_date"):
                target.birth_date = _day(s.el(2)) if s.el(1) == "D8" else None
                target.sex = s.el(3) or "U"
            continue
        if t == "SBR":
            if loop == "2320" and claim is not None:
                op = OtherPayerAdjudication(payer_name="", payer_id="", subscriber_last_name="",
                                            subscriber_first_name=None, subscriber_member_id="",
                                            payer_responsibility=s.el(1), relationship_code=s.el(2),
                                            claim_filing_indicator=s.el(9), group_number=s.el(3) or None)
                claim.other_payers.append(op)
                target = None
            elif claim is None:
                subscriber.payer_responsibility = s.el(1) or "P"
                subscriber.relationship_code = s.el(2) or ""
                subscriber.group_number = s.el(3) or None
                subscriber.claim_filing_indicator = s.el(9) or ""
            continue
        if t == "PAT":
            if patient is not None:
                patient.relationship_code = s.el(1)
            continue
        if t == "PRV":
            if loop == "2000A":
                billing.taxonomy = s.el(3) or None
            elif loop == "2310B" and claim is not None and claim.rendering_provider is not None:
                claim.rendering_provider.taxonomy = s.el(3) or None
            continue
        if t == "HI":
            if claim is not None:
                for i in range(1, len(s.elements) + 1):
                    comp5 = s.composite(i)
                    if len(comp5) >= 2 and comp5[0] in ("ABK", "ABF", "BK", "BF"):
                        claim.diagnosis_codes.append(comp5[1])
            continue
        if t == "AMT":
            q = s.el(1)
            if loop == "2320":
                if q == "D" and op is not None:
                    op.paid_amount = dec(s.el(2), s)
            elif loop == "2300" and q == "F5" and claim is not None:
                claim.patient_paid = dec(s.el(2), s)
            continue
        if t == "CAS":
            dest = adj if loop == "2430" else op if loop == "2320" else None
            if dest is not None:
                # (group, reason, amount), with the quantity as a fourth item only when CAS carries one
                dest.adjustments += [item if item[3] is not None else item[:3] for item in cas_items(s)]
            continue
        if t == "LIN":
            if line is not None and s.el(2) == "N4":
                line.ndc = s.el(3)
            continue
        if t == "CTP":
            if line is not None:
                line.ndc_units = dec(s.el(4), s)
                line.ndc_unit_code = (s.composite(5) or ["UN"])[0]
            continue
        if t == "SVD":
            if line is not None:
                comp5 = s.composite(3)
                adj = LineAdjudication(other_payer_id=s.el(1), paid=dec(s.el(2), s, Decimal(0)),
                                       procedure_code=comp5[1] if len(comp5) > 1 else "",
                                       modifiers=[m for m in comp5[2:6] if m],
                                       units=dec(s.el(5), s, Decimal(0)), adjudication_date=None)
                line.adjudications.append(adj)
            continue
    return claims


def claim_to_dict(c: Claim837) -> dict:
    """JSON-friendly summary of a claim (money as strings with two decimals)."""
    m2 = lambda v: None if v is None else f"{Decimal(v):.2f}"  # noqa: E731
    return {
        "claim_id": c.claim_id,
        "charge": m2(c.total_charge),
        "frequency_code": c.frequency_code,
        "place_of_service": c.place_of_service,
        "payer_claim_control_number": c.payer_claim_control_number,
        "prior_authorization": c.prior_authorization,
        "diagnosis_codes": list(c.diagnosis_codes),
        "member_id": c.subscriber.member_id,
        "payer_id": c.payer.payer_id,
        "billing_npi": c.billing_provider.npi,
        "patient_is_dependent": c.patient is not None,
        "other_payer_paid": [m2(op.paid_amount) for op in c.other_payers],
        "lines": [{
            "line_control_number": ln.line_control_number,
            "procedure_code": ln.procedure_code,
            "modifiers": list(ln.modifiers),
            "charge": m2(ln.charge),
            "units": fmt_amount(ln.units),
            "service_date": ln.service_date.isoformat() if ln.service_date else None,
            "dx_pointers": list(ln.dx_pointers),
            "ndc": ln.ndc,
        } for ln in c.lines],
    }


def read_837p(source, name: str | None = None) -> list[Claim837]:
    """All claims of all 837 transaction sets in a file."""
    out: list[Claim837] = []
    for t in iter_transactions(source, name):
        if t.type == "837":
            out += parse_837p(t)
    return out
