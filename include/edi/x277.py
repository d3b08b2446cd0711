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
    claims_by_provider,
    parse_status_transaction,
)
from .reader import Delimiters
from .writer import DEFAULT, build_interchange

VERSION = "005010X212"

__all__ = ["parse_277", "build_277", "build_277rfai", "ClaimStatus", "LineStatus", "Status", "CATEGORY_CODES", "STATUS_CODES",
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
    segs, by_npi = _source_and_receiver(["DG"], transaction_control_number, created, payer_name,
                                        payer_id or sender_id, receiver_name, receiver_id, claims)
    hl = 2
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


RFAI_VERSION = "005010X213"


def build_277rfai(claims: list[ClaimStatus], *, sender_id: str, receiver_id: str,
                  interchange_control_number: int, group_control_number: int, transaction_control_number: int = 1,
                  payer_name: str = "SANDBOX PAYER", payer_id: str | None = None, receiver_name: str = "SUBMITTER",
                  usage_indicator: str = "P", created: dt.datetime | None = None,
                  delimiters: Delimiters = DEFAULT, line_breaks: bool = False) -> bytes:
    """A 277 Health Care Claim Request for Additional Information (005010X213), the payer's
    question about claims it has accepted and pended.

    Per claim (loop 2200D): TRN*1 the payer's tracking number for the request (`claim_id`; a
    solicited 275 or attachment echoes it), one STC per requested document with the LOINC code
    in STC01-2 and qualifier LOI in STC01-4 (``STC*R3:11506-3::LOI*<request date>``), REF*1K the
    payer's claim number, REF*EJ our patient control number (CLM01), DTP*472 the service dates and
    DTP*106 the response due date."""
    created = created or dt.datetime.now()
    segs, by_npi = _source_and_receiver([], transaction_control_number, created, payer_name,
                                        payer_id or sender_id, receiver_name, receiver_id, claims)
    hl = 2
    for npi, cs in by_npi.items():
        hl += 1
        prov_hl = hl
        segs += [["HL", str(hl), "2", "19", "1"], ["NM1", "1P", "2", "PROVIDER", "", "", "", "", "XX", npi]]
        for c in cs:
            hl += 1
            segs.append(["HL", str(hl), str(prov_hl), "PT"])
            segs.append(["NM1", "QC", "1", c.patient_last_name or "UNKNOWN", c.patient_first_name or "", "", "",
                         "", "MI" if c.member_id else "", c.member_id or ""])
            segs.append(["TRN", "1", c.claim_id])
            when = (c.effective_date or created.date()).strftime("%Y%m%d")
            for s in c.statuses:
                segs.append(["STC", [s.category, s.code, s.entity or "", "LOI" if _is_loinc(s.code) else ""], when])
            if c.payer_claim_control_number:
                segs.append(["REF", "1K", c.payer_claim_control_number])
            if c.patient_account_number:
                segs.append(["REF", "EJ", c.patient_account_number])
            if c.service_from:
                if c.service_to and c.service_to != c.service_from:
                    segs.append(["DTP", "472", "RD8", f"{c.service_from:%Y%m%d}-{c.service_to:%Y%m%d}"])
                else:
                    segs.append(["DTP", "472", "D8", f"{c.service_from:%Y%m%d}"])
            if c.response_due_date:
                segs.append(["DTP", "106", "D8", f"{c.response_due_date:%Y%m%d}"])
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("HN", sender_id, receiver_id, group_control_number, RFAI_VERSION,
                               [("277", f"{transaction_control_number:04d}", segs)])],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)


def _is_loinc(code: str) -> bool:
    head, _, check = (code or "").partition("-")
    return head.isdigit() and check.isdigit() and len(check) == 1


def _source_and_receiver(bht_tail, control_number, created, payer_name, payer_id, receiver_name, receiver_id,
                         claims):
    """BHT, the payer (2000A/2100A) and receiver (2000B/2100B) levels, and the claims by provider NPI."""
    segs: list[list] = [["BHT", "0010", "08", str(control_number), created.strftime("%Y%m%d"),
                         created.strftime("%H%M"), *bht_tail],
                        ["HL", "1", "", "20", "1"],
                        ["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id],
                        ["HL", "2", "1", "21", "1" if claims else "0"],
                        ["NM1", "41", "2", receiver_name, "", "", "", "", "46", receiver_id]]
    return segs, claims_by_provider(claims)
