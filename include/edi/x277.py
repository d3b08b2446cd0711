"""277 claim status response (005010X212): parse per claim, build."""
from __future__ import annotations

import datetime as dt

from ._common import transactions
from ._status import (
    CATEGORY_CODES,
    ENTITY_CODES,
    STATUS_CODES,
    ClaimStatus,
    LineStatus,
    Status,
    claim_status_segments,
    parse_status_transaction,
)
from .reader import Delimiters
from .writer import DEFAULT, build_interchange

VERSION = "005010X212"

__all__ = ["parse_277", "build_277", "ClaimStatus", "LineStatus", "Status", "CATEGORY_CODES", "STATUS_CODES",
           "ENTITY_CODES"]


def parse_277(source, name: str | None = None) -> list[ClaimStatus]:
    """All claims of all 277 (X212) transaction sets; claim_id is TRN02 (the 276 trace)."""
    out: list[ClaimStatus] = []
    for t in transactions(source, ("277",), name):
        out += parse_status_transaction(t)
    return out


def build_277(claims: list[ClaimStatus], *, sender_id: str, receiver_id: str, interchange_control_number: int,
              group_control_number: int, transaction_control_number: int = 1, payer_name: str = "SANDBOX PAYER",
              payer_id: str | None = None, receiver_name: str = "SUBMITTER", usage_indicator: str = "P",
              created: dt.datetime | None = None, delimiters: Delimiters = DEFAULT,
              line_breaks: bool = False) -> bytes:
    """One 277 answering a 276: claim_id is the 276 TRN02; patient_account_number (REF*EJ) our claim id."""
    created = created or dt.datetime.now()
    segs: list[list] = [["BHT", "0010", "08", str(transaction_control_number), created.strftime("%Y%m%d"),
                         created.strftime("%H%M"), "DG"],
                        ["HL", "1", "", "20", "1"],
                        ["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id or sender_id],
                        ["HL", "2", "1", "21", "1" if claims else "0"],
                        ["NM1", "41", "2", receiver_name, "", "", "", "", "46", receiver_id]]
    hl = 2
    by_npi: dict = {}
    for c in claims:
        by_npi.setdefault(c.provider_npi or "1999999984", []).append(c)
    for npi, cs in by_npi.items():
        hl += 1
        prov_hl = hl
        segs += [["HL", str(hl), "2", "19", "1"], ["NM1", "1P", "2", "PROVIDER", "", "", "", "", "XX", npi]]
        for c in cs:
            hl += 1
            segs.append(["HL", str(hl), str(prov_hl), "22", "0"])
            segs.append(["NM1", "IL", "1", c.patient_last_name or "UNKNOWN", c.patient_first_name or "", "", "",
                         "", "MI" if c.member_id else "", c.member_id or ""])
            segs += claim_status_segments(c, x214=False)
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HN", sender_id, receiver_id, group_control_number, VERSION,
                               [("277", f"{transaction_control_number:04d}", segs)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)
