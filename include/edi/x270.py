"""270 eligibility inquiry (005010X279A1): build (with a TRN trace per subscriber) and parse."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ._common import date8, transactions
from .reader import Delimiters
from .writer import DEFAULT, build_interchange, fmt_date, isa_segment

VERSION = "005010X279A1"


@dataclass
class EligibilityInquiry:
    trace_number: str                  # TRN02: matches the 271 answer
    member_id: str
    last_name: str
    first_name: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    payer_name: str = ""
    payer_id: str = ""
    provider_npi: str = ""
    provider_name: str = ""            # organization name
    service_date: dt.date | None = None
    service_types: list[str] = field(default_factory=lambda: ["30"])   # EQ01 (30 = health benefit plan coverage)
    group_number: str | None = None
    # dependent patient (when the patient is not the subscriber)
    dependent_last_name: str | None = None
    dependent_first_name: str | None = None
    dependent_birth_date: dt.date | None = None
    dependent_sex: str | None = None
    originator_id: str = "9999999999"  # TRN03: 1 + EIN or 9 + assigned id (10 chars)

    @property
    def is_dependent(self) -> bool:
        return bool(self.dependent_last_name)


def _inquiry_segs(q: EligibilityInquiry) -> list[list]:
    segs = [["TRN", "1", q.trace_number, q.originator_id]]
    return segs


def _body(inqs: list[EligibilityInquiry], ref: str, created: dt.datetime) -> list[list]:
    segs: list[list] = [["BHT", "0022", "13", ref, created.strftime("%Y%m%d"), created.strftime("%H%M")]]
    tree: dict = {}
    for q in inqs:
        tree.setdefault((q.payer_name, q.payer_id), {}).setdefault((q.provider_npi, q.provider_name), []).append(q)
    hl = 0
    for (pname, pid), provs in tree.items():
        hl += 1
        payer_hl = hl
        segs += [["HL", str(hl), "", "20", "1"], ["NM1", "PR", "2", pname, "", "", "", "", "PI", pid]]
        for (npi, prname), qs in provs.items():
            hl += 1
            prov_hl = hl
            segs += [["HL", str(hl), str(payer_hl), "21", "1"],
                     ["NM1", "1P", "2", prname, "", "", "", "", "XX", npi]]
            for q in qs:
                hl += 1
                sub_hl = hl
                segs.append(["HL", str(hl), str(prov_hl), "22", "1" if q.is_dependent else "0"])
                if not q.is_dependent:
                    segs.append(["TRN", "1", q.trace_number, q.originator_id])
                segs.append(["NM1", "IL", "1", q.last_name, q.first_name or "", "", "", "", "MI", q.member_id])
                if q.group_number:
                    segs.append(["REF", "6P", q.group_number])
                if q.birth_date:
                    segs.append(["DMG", "D8", fmt_date(q.birth_date), q.sex or ""])
                if not q.is_dependent:
                    if q.service_date:
                        segs.append(["DTP", "291", "D8", fmt_date(q.service_date)])
                    for st in q.service_types or ["30"]:
                        segs.append(["EQ", st])
                else:
                    hl += 1
                    segs.append(["HL", str(hl), str(sub_hl), "23", "0"])
                    segs.append(["TRN", "1", q.trace_number, q.originator_id])
                    segs.append(["NM1", "03", "1", q.dependent_last_name, q.dependent_first_name or ""])
                    if q.dependent_birth_date:
                        segs.append(["DMG", "D8", fmt_date(q.dependent_birth_date), q.dependent_sex or ""])
                    if q.service_date:
                        segs.append(["DTP", "291", "D8", fmt_date(q.service_date)])
                    for st in q.service_types or ["30"]:
                        segs.append(["EQ", st])
    return segs


def build_270(inquiries: list[EligibilityInquiry], *, sender_id: str, receiver_id: str,
              interchange_control_number: int, group_control_number: int, transaction_control_number: int = 1,
              usage_indicator: str = "P", created: dt.datetime | None = None,
              delimiters: Delimiters = DEFAULT, line_breaks: bool = False) -> bytes:
    """One 270 with one subscriber (or dependent) level per inquiry, each with its TRN trace."""
    created = created or dt.datetime.now()
    if not inquiries:
        raise ValueError("no inquiries")
    if len(inquiries) == 1 and delimiters == DEFAULT and not line_breaks:
        one = _one_270(inquiries[0], sender_id, receiver_id, interchange_control_number, group_control_number,
                       transaction_control_number, usage_indicator, created)
        if one is not None:
            return one
    body = _body(inquiries, str(transaction_control_number), created)
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HS", sender_id, receiver_id, group_control_number, VERSION,
                               [("270", f"{transaction_control_number:04d}", body)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)


class _Unusual(Exception):
    """A value the one-inquiry path leaves to the general writer (not a string, or holding a delimiter)."""


def _text(v) -> str:
    if v.__class__ is str:
        if "*" in v or ":" in v or "^" in v or "~" in v:
            raise _Unusual
        return v
    if v is None:
        return ""
    raise _Unusual


def _seg(*els: str) -> str:
    # no value holds '*' (checked by _text): stripping them drops exactly the trailing empty elements
    return "*".join(els).rstrip("*") + "~"


def _one_270(q: EligibilityInquiry, sender_id, receiver_id, icn, gcn, tcn, usage, created) -> bytes | None:
    """build_270's bytes for one inquiry with the default delimiters, written directly (real time sends
    one 270 per member, tens of thousands a run); None when a value needs the general writer, which
    then writes it or refuses it (DelimiterInDataError) the same way as always."""
    try:
        ref, stcn = _text(str(tcn)), _text(str(f"{tcn:04d}").zfill(4))
        date8, hhmm = created.strftime("%Y%m%d"), created.strftime("%H%M")
        trn = _seg("TRN", "1", _text(q.trace_number), _text(q.originator_id))
        segs = [_seg("BHT", "0022", "13", ref, date8, hhmm), "HL*1**20*1~",
                _seg("NM1", "PR", "2", _text(q.payer_name), "", "", "", "", "PI", _text(q.payer_id)),
                "HL*2*1*21*1~",
                _seg("NM1", "1P", "2", _text(q.provider_name), "", "", "", "", "XX", _text(q.provider_npi))]
        dependent = q.is_dependent
        segs.append("HL*3*2*22*1~" if dependent else "HL*3*2*22*0~")
        if not dependent:
            segs.append(trn)
        segs.append(_seg("NM1", "IL", "1", _text(q.last_name), _text(q.first_name or ""), "", "", "", "MI",
                         _text(q.member_id)))
        if q.group_number:
            segs.append(_seg("REF", "6P", _text(q.group_number)))
        if q.birth_date:
            segs.append(_seg("DMG", "D8", _text(fmt_date(q.birth_date)), _text(q.sex or "")))
        if dependent:
            segs += ["HL*4*3*23*0~", trn,
                     _seg("NM1", "03", "1", _text(q.dependent_last_name), _text(q.dependent_first_name or ""))]
            if q.dependent_birth_date:
                segs.append(_seg("DMG", "D8", _text(fmt_date(q.dependent_birth_date)),
                                 _text(q.dependent_sex or "")))
        if q.service_date:
            segs.append(_seg("DTP", "291", "D8", _text(fmt_date(q.service_date))))
        segs += [_seg("EQ", _text(st)) for st in q.service_types or ["30"]]
        gcn_text, sender, receiver = str(int(gcn)), _text(sender_id), _text(receiver_id)
    except _Unusual:
        return None
    isa = isa_segment(sender_id, receiver_id, icn, d=DEFAULT, usage_indicator=usage, when=created)
    return "".join([
        isa, "~", _seg("GS", "HS", sender, receiver, date8, hhmm, gcn_text, "X", VERSION),
        _seg("ST", "270", stcn, VERSION), *segs, _seg("SE", str(len(segs) + 2), stcn),
        "GE*1*", gcn_text, "~IEA*1*", f"{int(icn):09d}", "~"]).encode("utf-8")


def parse_270(source, name: str | None = None) -> list[EligibilityInquiry]:
    """Inquiries of 270s (used by the sandbox to answer with a 271)."""
    out: list[EligibilityInquiry] = []
    for t in transactions(source, ("270",), name):
        payer = ("", "")
        prov = ("", "")
        sub: dict = {}
        cur: EligibilityInquiry | None = None
        level = ""
        for s in t.segments:
            tag = s.tag
            if tag == "HL":
                level = s.el(3)
                cur = None
                if level == "22":
                    sub = {}
            elif tag == "NM1":
                q = s.el(1)
                if q == "PR":
                    payer = (s.el(3), s.el(9))
                elif q in ("1P", "FA", "80", "2B", "36", "P5", "GP"):
                    prov = (s.el(9), s.el(3))
                elif q == "IL":
                    sub = {"member_id": s.el(9), "last_name": s.el(3), "first_name": s.el(4) or None}
                    if cur is not None:
                        cur.member_id, cur.last_name, cur.first_name = s.el(9), s.el(3), s.el(4) or None
                elif q == "03" and cur is not None:
                    cur.dependent_last_name, cur.dependent_first_name = s.el(3), s.el(4) or None
            elif tag == "TRN":
                cur = EligibilityInquiry(trace_number=s.el(2), member_id=sub.get("member_id", ""),
                                         last_name=sub.get("last_name", ""), first_name=sub.get("first_name"),
                                         payer_name=payer[0], payer_id=payer[1], provider_npi=prov[0],
                                         provider_name=prov[1], service_types=[],
                                         originator_id=s.el(3), birth_date=sub.get("birth_date"),
                                         sex=sub.get("sex"))
                out.append(cur)
            elif tag == "DMG" and cur is not None:
                if level == "23":
                    cur.dependent_birth_date, cur.dependent_sex = date8(s.el(2)), s.el(3) or None
                else:
                    cur.birth_date, cur.sex = date8(s.el(2)), s.el(3) or None
            elif tag == "DMG" and level == "22":
                sub["birth_date"], sub["sex"] = date8(s.el(2)), s.el(3) or None
            elif tag == "REF" and s.el(1) == "6P" and cur is not None:
                cur.group_number = s.el(2)
            elif tag == "DTP" and s.el(1) == "291" and cur is not None:
                cur.service_date = date8(s.el(3))
            elif tag == "EQ" and cur is not None:
                cur.service_types += [x for x in s.repeats(1) if x]
    return out
