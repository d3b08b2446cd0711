"""Patient A/R for the billing report: aging by statement date and the patient collection rate.

Definitions (docs/patient_accounts.md, "Patient A/R"):
- aging: each visit's open patient balance on `as_of`, aged from the first statement that
  billed it: 0-30, 31-60, 61-90, 91-120, 120+ days; balances not on any statement yet are
  `not_billed`;
- collection rate: patient payments applied in the period ÷ patient responsibility first billed
  on a statement dated in the period (None when nothing was billed).
Aggregates only: no guarantor, patient or visit appears in what these return.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from include.billing.rcm_sql import query

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+", "not_billed")


def patient_ar_aging(conn, as_of: dt.date) -> dict:
    """{"buckets": {bucket: {"visits": n, "balance": Decimal}}, "total": Decimal}, every bucket present."""
    buckets = {b: {"visits": 0, "balance": Decimal("0.00")} for b in BUCKETS}
    for bucket, visits, balance in conn.execute(query("reports", "patient_ar_aging_by_statement"), {"as_of": as_of}).fetchall():
        buckets[bucket] = {"visits": visits, "balance": balance}
    return {"as_of": as_of, "buckets": buckets,
            "total": sum((b["balance"] for b in buckets.values()), Decimal("0.00"))}


def patient_collection_rate(conn, start: dt.date, end: dt.date) -> dict:
    """Collected ÷ billed to patients in [start, end] (both inclusive), with the statements sent."""
    collected, billed, sent = conn.execute(query("reports", "patient_collection_rate"),
                                           {"start": start, "end": end}).fetchone()
    rate = (collected / billed).quantize(Decimal("0.0001")) if billed else None
    return {"start": start, "end": end, "collected": collected, "billed": billed, "rate": rate,
            "statements_sent": sent}
