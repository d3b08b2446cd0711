"""Deadlines per payer: the timely-filing limit and the first- and second-level appeal windows.

Kept with the payer's settings (pm.payers.timely_filing_days, appeal_first_level_days,
appeal_second_level_days — migration 0009); where a payer has no appeal window of its own, the
published default of its claim filing indicator applies (include/billing/codes/payer_deadlines.csv:
Medicare 120 days for a redetermination from receipt of the initial determination, receipt
presumed 5 days after the notice, 42 CFR 405.942; commercial plans at least 180 days, 29 CFR
2560.503-1(h)(3)(i)). The remittance (835) is the notice of the initial determination: its
payment date (BPR16) starts the first-level window.

The timely-filing window of a primary claim runs from the date of service; of a secondary (or
tertiary) claim from the prior payer's 835 payment date (include/billing/denials.filing_window,
and the scrubber's SCRUB_TIMELY_FILING).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .rcm_sql import query

DEFAULTS_FILE = Path(__file__).resolve().parent / "codes" / "payer_deadlines.csv"


@dataclass(frozen=True)
class PayerDeadlines:
    timely_filing_days: int
    appeal_first_days: int
    appeal_second_days: int
    receipt_presumption_days: int
    source: str

    def first_level_deadline(self, notice_date: dt.date) -> dt.date:
        """Last day to file a first-level appeal of a determination dated notice_date."""
        return notice_date + dt.timedelta(days=self.receipt_presumption_days + self.appeal_first_days)

    def second_level_deadline(self, decision_date: dt.date) -> dt.date:
        """Last day to file a second-level appeal of a first-level decision dated decision_date."""
        return decision_date + dt.timedelta(days=self.receipt_presumption_days + self.appeal_second_days)


@lru_cache(maxsize=None)
def _defaults() -> dict[str, PayerDeadlines]:
    out = {}
    with DEFAULTS_FILE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["claim_filing_indicator"].strip()] = PayerDeadlines(
                int(row["timely_filing_days"]), int(row["appeal_first_level_days"]),
                int(row["appeal_second_level_days"]), int(row["receipt_presumption_days"]), row["source"].strip())
    return out


def default_deadlines(claim_filing_indicator: str | None) -> PayerDeadlines:
    d = _defaults()
    return d.get((claim_filing_indicator or "").strip(), d["*"])


def payer_deadlines(timely_filing_days: int | None, claim_filing_indicator: str | None,
                    appeal_first_days: int | None = None, appeal_second_days: int | None = None) -> PayerDeadlines:
    """The payer's own settings where it has them, else its filing indicator's defaults."""
    d = default_deadlines(claim_filing_indicator)
    return PayerDeadlines(timely_filing_days or d.timely_filing_days, appeal_first_days or d.appeal_first_days,
                          appeal_second_days or d.appeal_second_days, d.receipt_presumption_days, d.source)


def claim_payer_deadlines(conn, claim_id: int) -> PayerDeadlines:
    row = conn.execute(query("denials", "payer_deadlines"), {"claim_id": claim_id}).fetchone()
    if row is None:
        return default_deadlines(None)
    return payer_deadlines(*row)


def appeal_deadline(conn, claim_id: int, notice_date: dt.date) -> dt.date:
    """First-level appeal deadline of a claim's denial, the 835 dated notice_date."""
    return claim_payer_deadlines(conn, claim_id).first_level_deadline(notice_date)
