"""The demo's summary of the revenue cycle, from the ledger (one named query), and its KPIs.

The KPIs come from the report's own definitions (`include.billing.reports.compute_kpis`, see
docs/metrics.md) at the as_of the billing report used, so the demo's summary and the emailed
report show one number for each point-in-time KPI (days in A/R, A/R, backlog).
"""

from __future__ import annotations

from datetime import date, timedelta

from .rcm_sql import query

FIELDS = ("claims_accepted", "claims_rejected", "claims_paid", "claims_denied", "claims_corrected",
          "payments_posted_total", "patient_responsibility_total")
SUMMARY_WINDOW_DAYS = 90


def cycle_summary(conn) -> dict:
    """Counts (int) and money (str, 2 decimals): claims_accepted, claims_rejected, claims_paid,
    claims_denied, claims_corrected, payments_posted_total, patient_responsibility_total."""
    row = conn.execute(query("posting", "cycle_summary")).fetchone()
    out = dict(zip(FIELDS, row))
    for k in ("payments_posted_total", "patient_responsibility_total"):
        out[k] = f"{out[k]:.2f}"
    return out


def kpi_summary(conn, as_of: date, *, window_days: int = SUMMARY_WINDOW_DAYS) -> dict:
    """The report's KPIs at `as_of` (pass the billing report's as_of): balances, days in A/R and the
    backlog at the end of that day; rates over the `window_days` days ending on it (the report's own
    period may be shorter - a daily report covers one day - so rates are labelled with their window).
    Returns the `headline` numbers plus `as_of`, `period_start`, `period_end`."""
    from include.billing.reports.metrics import compute_kpis, headline

    start = as_of - timedelta(days=window_days - 1)
    kpis = compute_kpis(conn, start, as_of, as_of, trend_weeks=0)
    return {**headline(kpis), "payer_days_in_ar": kpis["payer_days_in_ar"],
            "patient_days_in_ar": kpis["patient_days_in_ar"],
            "as_of": as_of, "period_start": start, "period_end": as_of}
