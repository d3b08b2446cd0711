"""277CA claim acknowledgment (005010X214): parse per claim, build (pyx12-valid)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ._common import money, transactions
from ._status import (
    ACCEPTED_CATEGORIES,
    CATEGORY_CODES,
    ENTITY_CODES,
    REJECTED_CATEGORIES,
    STATUS_CODES,
    ClaimStatus,
    LineStatus,
    Status,
    claim_status_segments,
    claims_by_provider,
    parse_status_transaction,
)
from .reader import Delimiters
from .writer import DEFAULT, build_interchange, fmt_date

VERSION = "005010X214"
ClaimAck = ClaimStatus   # one claim of a 277CA: claim_id (TRN02), payer_claim_control_number (REF*1K), status…

__all__ = ["parse_277ca", "build_277ca", "ClaimAck", "ClaimStatus", "LineStatus", "Status", "CATEGORY_CODES",
           "STATUS_CODES", "ENTITY_CODES", "ACCEPTED_CATEGORIES", "REJECTED_CATEGORIES"]


def parse_277ca(source, name: str | None = None) -> list[ClaimStatus]:
    """All claims of all 277 (X214) transaction sets in ``source``; claim_id is TRN02 of 2200D."""
    out: list[ClaimStatus] = []
    for t in transactions(source, ("277",), name):
        out += parse_status_transaction(t)
    return out


def _body(claims: list[ClaimStatus], *, payer_name, payer_id, receiver_name, receiver_id, created: dt.datetime,
          batch_ref: str, received: dt.date) -> list[list]:
    segs: list[list] = [["BHT", "0085", "08", batch_ref, created.strftime("%Y%m%d"), created.strftime("%H%M"), "TH"],
                        ["HL", "1", "", "20", "1"],
                        ["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id],
                        ["TRN", "1", batch_ref],
                        ["DTP", "050", "D8", fmt_date(received)],
                        ["DTP", "009", "D8", created.strftime("%Y%m%d")],
                        ["HL", "2", "1", "21", "1"],
                        ["NM1", "41", "2", receiver_name, "", "", "", "", "46", receiver_id],
                        ["TRN", "2", batch_ref]]
    acc = [c for c in claims if not (c.statuses and c.statuses[0].category in REJECTED_CATEGORIES)]
    rej = [c for c in claims if c not in acc]
    tot = lambda cs: sum((c.total_charge or Decimal(0) for c in cs), Decimal(0))  # noqa: E731
    segs.append(["STC", ["A1", "19", "PR"], created.strftime("%Y%m%d"), "WQ", money(tot(claims))])
    if acc:
        segs.append(["QTY", "90", str(len(acc))])
    if rej:
        segs.append(["QTY", "AA", str(len(rej))])
    if acc:
        segs.append(["AMT", "YU", money(tot(acc))])
    if rej:
        segs.append(["AMT", "YY", money(tot(rej))])
    hl = 2
    for npi, cs in claims_by_provider(claims).items():
        hl += 1
        prov_hl = hl
        segs.append(["HL", str(hl), "2", "19", "1"])
        segs.append(["NM1", "85", "2", "BILLING PROVIDER", "", "", "", "", "XX", npi])
        segs.append(["TRN", "1", "0"])
        pa = [c for c in cs if c in acc]
        pr = [c for c in cs if c in rej]
        segs.append(["STC", ["A1", "19", "PR"], "", "WQ", money(tot(cs))])
        if pa:
            segs.append(["QTY", "QA", str(len(pa))])
        if pr:
            segs.append(["QTY", "QC", str(len(pr))])
        if pa:
            segs.append(["AMT", "YU", money(tot(pa))])
        if pr:
            segs.append(["AMT", "YY", money(tot(pr))])
        for c in cs:
            hl += 1
            segs.append(["HL", str(hl), str(prov_hl), "PT"])
            segs.append(["NM1", "QC", "1", c.patient_last_name or "UNKNOWN", c.patient_first_name or "", "", "", "",
                         "MI" if c.member_id else "", c.member_id or ""])
            segs += claim_status_segments(c, x214=True)
    return segs


def build_277ca(claims: list[ClaimStatus], *, sender_id: str, receiver_id: str, interchange_control_number: int,
                group_control_number: int, transaction_control_number: int = 1, payer_name: str = "SANDBOX PAYER",
                payer_id: str | None = None, receiver_name: str = "SUBMITTER", usage_indicator: str = "P",
                created: dt.datetime | None = None, received: dt.date | None = None,
                delimiters: Delimiters = DEFAULT, line_breaks: bool = False) -> bytes:
    """One 277CA acknowledging ``claims`` (each ClaimStatus: claim_id, statuses, total_charge,
    payer_claim_control_number, member_id, provider_npi …)."""
    created = created or dt.datetime.now()
    body = _body(claims, payer_name=payer_name, payer_id=payer_id or sender_id, receiver_name=receiver_name,
                 receiver_id=receiver_id, created=created, batch_ref=str(group_control_number),
                 received=received or created.date())
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HN", sender_id, receiver_id, group_control_number, VERSION,
                               [("277", f"{transaction_control_number:04d}", body)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)
