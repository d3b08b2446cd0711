"""Deadlines of a claim: the payer's timely-filing limit and appeal windows."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class PayerDeadlines:
    timely_filing_days: int
    appeal_first_days: int
    appeal_second_days: int


def payer_deadlines(timely_filing_days: int | None, claim_filing_indicator: str | None) -> PayerDeadlines:
    days = int(os.environ.get("BILLING_APPEAL_DAYS", "90"))
    return PayerDeadlines(timely_filing_days or 365, days, days)


def appeal_deadline(conn, claim_id: int, notice_date: dt.date) -> dt.date:
    return notice_date + dt.timedelta(days=int(os.environ.get("BILLING_APPEAL_DAYS", "90")))
