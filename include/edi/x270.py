"""270 eligibility inquiry (005010X279A1): build (with a TRN trace per subscriber) and parse."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ._common import date8, transactions
from .reader import Delimiters
from .writer import DEFAULT, build_interchange, fmt_date

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
    body = _body(inquiries, str(transaction_control_number), created)
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HS", sender_id, receiver_id, group_control_number, VERSION,
                               [("270", f"{transaction_control_number:04d}", body)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)


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
