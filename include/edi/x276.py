"""276 claim status request (005010X212): build and parse."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ._common import date_range, dec, transactions
from .reader import Delimiters
from .writer import DEFAULT, build_interchange, fmt_amount, fmt_date

VERSION = "005010X212"


@dataclass
class StatusInquiry:
    trace_number: str                 # TRN02: echoed in the 277
    claim_id: str                     # REF*EJ patient control number (our CLM01)
    member_id: str
    last_name: str
    first_name: str | None = None
    payer_name: str = ""
    payer_id: str = ""
    provider_npi: str = ""
    provider_name: str = ""
    total_charge: Decimal | None = None       # AMT*T3
    service_from: dt.date | None = None       # DTP*472
    service_to: dt.date | None = None
    payer_claim_control_number: str | None = None   # REF*1K
    receiver_name: str = "SUBMITTER"
    receiver_id: str = ""
    birth_date: dt.date | None = None
    sex: str | None = None


def build_276(inquiries: list[StatusInquiry], *, sender_id: str, receiver_id: str, interchange_control_number: int,
              group_control_number: int, transaction_control_number: int = 1, usage_indicator: str = "P",
              created: dt.datetime | None = None, delimiters: Delimiters = DEFAULT,
              line_breaks: bool = False) -> bytes:
    """One 276; one subscriber level (HL 22) with a TRN per inquiry."""
    created = created or dt.datetime.now()
    if not inquiries:
        raise ValueError("no inquiries")
    segs: list[list] = [["BHT", "0010", "13", str(transaction_control_number), created.strftime("%Y%m%d"),
                         created.strftime("%H%M")]]
    tree: dict = {}
    for q in inquiries:
        tree.setdefault((q.payer_name, q.payer_id), {}).setdefault((q.provider_npi, q.provider_name), []).append(q)
    hl = 0
    for (pn, pid), provs in tree.items():
        hl += 1
        payer_hl = hl
        segs += [["HL", str(hl), "", "20", "1"], ["NM1", "PR", "2", pn, "", "", "", "", "PI", pid]]
        hl += 1
        recv_hl = hl
        q0 = next(iter(provs.values()))[0]
        segs += [["HL", str(hl), str(payer_hl), "21", "1"],
                 ["NM1", "41", "2", q0.receiver_name, "", "", "", "", "46", q0.receiver_id or sender_id]]
        for (npi, name), qs in provs.items():
            hl += 1
            prov_hl = hl
            segs += [["HL", str(hl), str(recv_hl), "19", "1"],
                     ["NM1", "1P", "2", name, "", "", "", "", "XX", npi]]
            for i, q in enumerate(qs):
                hl += 1
                segs.append(["HL", str(hl), str(prov_hl), "22", "0"])
                if q.birth_date:
                    segs.append(["DMG", "D8", fmt_date(q.birth_date), q.sex or ""])
                segs.append(["NM1", "IL", "1", q.last_name, q.first_name or "", "", "", "", "MI", q.member_id])
                segs.append(["TRN", "1", q.trace_number])
                if q.payer_claim_control_number:
                    segs.append(["REF", "1K", q.payer_claim_control_number])
                segs.append(["REF", "EJ", q.claim_id])
                if q.total_charge is not None:
                    segs.append(["AMT", "T3", fmt_amount(q.total_charge)])
                if q.service_from:
                    if q.service_to and q.service_to != q.service_from:
                        segs.append(["DTP", "472", "RD8", f"{fmt_date(q.service_from)}-{fmt_date(q.service_to)}"])
                    else:
                        segs.append(["DTP", "472", "D8", fmt_date(q.service_from)])
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HR", sender_id, receiver_id, group_control_number, VERSION,
                               [("276", f"{transaction_control_number:04d}", segs)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)


def parse_276(source, name: str | None = None) -> list[StatusInquiry]:
    out: list[StatusInquiry] = []
    for t in transactions(source, ("276",), name):
        payer = ("", "")
        prov = ("", "")
        recv = ("", "")
        member = ("", "", None)
        dmg = (None, None)
        cur = None
        for s in t.segments:
            tag = s.tag
            if tag == "HL":
                cur = None
                dmg = (None, None)
            elif tag == "NM1":
                q = s.el(1)
                if q == "PR":
                    payer = (s.el(3), s.el(9))
                elif q == "41":
                    recv = (s.el(3), s.el(9))
                elif q == "1P":
                    prov = (s.el(9), s.el(3))
                elif q in ("IL", "QC"):
                    member = (s.el(9) or member[0], s.el(3), s.el(4) or None)
            elif tag == "DMG":
                dmg = (date_range("D8", s.el(2))[0], s.el(3) or None)
            elif tag == "TRN":
                cur = StatusInquiry(trace_number=s.el(2), claim_id="", member_id=member[0], last_name=member[1],
                                    first_name=member[2], payer_name=payer[0], payer_id=payer[1],
                                    provider_npi=prov[0], provider_name=prov[1], receiver_name=recv[0],
                                    receiver_id=recv[1], birth_date=dmg[0], sex=dmg[1])
                out.append(cur)
            elif cur is not None and tag == "REF":
                if s.el(1) == "EJ":
                    cur.claim_id = s.el(2)
                elif s.el(1) == "1K":
                    cur.payer_claim_control_number = s.el(2)
            elif cur is not None and tag == "AMT" and s.el(1) == "T3":
                cur.total_charge = dec(s.el(2), s)
            elif cur is not None and tag == "DTP" and s.el(1) == "472":
                cur.service_from, cur.service_to = date_range(s.el(2), s.el(3))
    return out
