"""Revenue-cycle KPIs from the ledger: `compute_kpis` is the single entry point.

Every number comes from a named query in include/sql/queries/reports/ (see docs/metrics.md
for the exact definitions); this module only picks rows and shapes them as plain data
(Decimal money and rates, ints, dates) for the email, the archive and the dashboard.
Rates are fractions rounded to 4 places (0.7778 = 77.78 %); None when the denominator is 0.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from include.billing.carc import describe
from include.billing.reports.queries import run_metric

AGING_BUCKETS = ("0_30", "31_60", "61_90", "91_120", "120_plus")
AGING_LABELS = {"0_30": "0–30", "31_60": "31–60", "61_90": "61–90", "91_120": "91–120", "120_plus": "120+"}
PROCESSING_MEASURES = ("completed_to_submitted", "submitted_to_accepted", "submitted_to_paid")

def _overall(rows: list[dict]) -> dict:
    for row in rows:
        if row.get("dimension") == "overall":
            return row
    return {}


def _breakdown(rows: list[dict], *fields: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("dimension") in (None, "overall"):
            continue
        out.setdefault(row["dimension"], []).append({"key": row.get("key"), "label": row["label"],
                                                     **{f: row[f] for f in fields}})
    return out


PERIOD_QUERIES = ("claims_volume", "first_pass_acceptance", "clean_claim_rate", "denial_rate", "top_denial_reasons",
                  "collection_rates", "processing_times", "payment_postings")
POINT_IN_TIME_QUERIES = ("payment_status", "outstanding_balances", "ar_aging", "patient_ar_aging", "days_in_ar",
                         "work_queue_backlog", "denials_awaiting_review")


def compute_kpis(conn, period_start: date, period_end: date, as_of: date, *, trend_weeks: int = 8,
                 point_in_time: bool = True) -> dict[str, Any]:
    """All report metrics for [period_start, period_end] (inclusive days), balances as of `as_of`.

    Returns plain data: headline numbers at the top level, per-payer / per-provider rows
    under `by`, and `trends` (one row per week ending on as_of, as_of − 7, ...).
    `point_in_time=False` leaves out what depends on as_of only (balances, aging, days in
    A/R, backlog, status breakdown): a report's extra weekly / month sections share them.
    """
    p = {"period_start": period_start, "period_end": period_end, "as_of": as_of}
    q = {name: run_metric(conn, name, **p) for name in PERIOD_QUERIES}
    vol, fpa, ccr = _overall(q["claims_volume"]), _overall(q["first_pass_acceptance"]), _overall(q["clean_claim_rate"])
    den, col, post = _overall(q["denial_rate"]), _overall(q["collection_rates"]), _overall(q["payment_postings"])

    kpis: dict[str, Any] = {
        "period_start": period_start, "period_end": period_end, "as_of": as_of,
        # volume
        "claims_submitted": vol["claims_submitted"], "charges_submitted": vol["charges_submitted"],
        "submissions": vol["submissions"], "claims_processed": vol["claims_processed"],
        # first pass / clean claims
        "first_pass_acceptance_rate": fpa["rate"], "first_pass_submitted": fpa["first_submitted"],
        "first_pass_accepted": fpa["accepted_first_pass"], "first_pass_awaiting_response": fpa["awaiting_response"],
        # clean claims (HFMA CL-1): of the claims entering the edits, those passing with no manual step
        "clean_claim_rate": ccr["rate"], "clean_claims": ccr["clean"], "claims_scrubbed": ccr["entered"],
        # initial denials, from the 835s (claims first adjudicated in the period), claim and line level
        "claims_adjudicated": den["adjudicated"],
        "denial_rate_count": den["rate_count"], "denial_rate_dollars": den["rate_dollars"],
        "claims_denied": den["denied"], "denied_charges": den["denied_charges"],
        "adjudicated_charges": den["adjudicated_charges"],
        "lines_adjudicated": den["lines_adjudicated"], "lines_denied": den["lines_denied"],
        "line_charges": den["line_charges"], "line_denied_charges": den["line_denied_charges"],
        "line_denial_rate_count": den["line_rate_count"], "line_denial_rate_dollars": den["line_rate_dollars"],
        "top_denial_reasons": [
            {**r, "description": describe("carc", r["reason_code"])} for r in q["top_denial_reasons"]],
        # collections
        "gross_collection_rate": col["gross_rate"], "net_collection_rate": col["net_rate"],
        "collection_charges": col["charges"], "collection_payments": col["payments"],
        "contractual_adjustments": col["contractual_adjustments"],
        # timings (hours)
        "processing_times": {r["measure"]: {"claims": r["claims"], "median_hours": r["median_hours"],
                                            "p90_hours": r["p90_hours"]}
                             for r in q["processing_times"] if r["dimension"] == "overall"},
        # 835 postings in the period
        "remittances_posted": post["remittances"], "remittances_held": post["held_remittances"],
        "remittance_total_paid": post["total_paid"], "remittance_claim_payments": post["claim_payments"],
        "remittance_reversals": post["reversals"],
        "payment_postings_by_payer": [r for r in q["payment_postings"] if r["dimension"] == "payer"],
        # patient accounts in the period: statements sent, patient payments against what was billed
        **_patient_collections(conn, period_start, period_end),
        "by": {
            "claims_volume": _breakdown(q["claims_volume"], "claims_submitted", "claims_processed"),
            "first_pass_acceptance": _breakdown(q["first_pass_acceptance"], "first_submitted",
                                                "accepted_first_pass", "rate"),
            "clean_claim_rate": _breakdown(q["clean_claim_rate"], "entered", "clean", "rate"),
            "denial_rate": _breakdown(q["denial_rate"], "adjudicated", "denied", "rate_count", "rate_dollars",
                                      "line_rate_count", "line_rate_dollars"),
            "collection_rates": _breakdown(q["collection_rates"], "charges", "payments", "gross_rate", "net_rate"),
            "processing_times": [r for r in q["processing_times"] if r["dimension"] == "payer"],
        },
    }
    if point_in_time:
        pit = _point_in_time(conn, p)
        kpis["by"]["outstanding_balances"] = pit.pop("by_outstanding_balances")
        kpis.update(pit)
    kpis["trends"] = compute_trends(conn, as_of, trend_weeks) if trend_weeks else []
    return kpis


def _patient_collections(conn, start: date, end: date) -> dict[str, Any]:
    from .patient_ar import patient_collection_rate

    c = patient_collection_rate(conn, start, end)
    return {"statements_sent": c["statements_sent"], "patient_payments_collected": c["collected"],
            "patient_charges_billed": c["billed"], "patient_collection_rate": c["rate"]}


def _point_in_time(conn, p: dict) -> dict[str, Any]:
    q = {name: run_metric(conn, name, **p) for name in POINT_IN_TIME_QUERIES}
    bal, aging, dar = _overall(q["outstanding_balances"]), _overall(q["ar_aging"]), q["days_in_ar"][0]
    patient_aging = _overall(q["patient_ar_aging"])
    wq = _overall(q["work_queue_backlog"])
    return {
        # status and balances at as_of
        "payment_status": {r["status"]: {"claims": r["claims"], "charges": r["charges"]}
                           for r in q["payment_status"] if r["dimension"] == "overall"},
        "payer_ar": bal["payer_ar"], "patient_ar": bal["patient_ar"], "total_ar": bal["total_ar"],
        "payer_claims_open": bal["payer_claims_open"],
        "ar_aging": {b: aging[b] for b in AGING_BUCKETS},          # payer A/R aging
        "ar_aging_by_payer": [{"label": r["label"], **{b: r[b] for b in AGING_BUCKETS}, "total": r["total"]}
                              for r in q["ar_aging"] if r["dimension"] == "payer"],
        # patient balances aged from their first statement, else from final adjudication (docs/metrics.md)
        "patient_ar_aging": {b: patient_aging.get(b, Decimal(0)) for b in AGING_BUCKETS},
        "patient_ar_aging_by_payer": [{"label": r["label"], **{b: r[b] for b in AGING_BUCKETS}, "total": r["total"]}
                                      for r in q["patient_ar_aging"] if r["dimension"] == "payer"],
        "days_in_ar": dar["days_in_ar"], "average_daily_charges": dar["average_daily_charges"],
        "payer_days_in_ar": dar["payer_days_in_ar"], "patient_days_in_ar": dar["patient_days_in_ar"],
        "charges_90d": dar["charges_90d"],
        # work queue at as_of
        "work_queue_open": wq.get("open_items", 0), "work_queue_oldest_age_days": wq.get("oldest_age_days"),
        "work_queue_median_age_days": wq.get("median_age_days"),
        "work_queue_by_source": [r for r in q["work_queue_backlog"] if r["dimension"] == "source"],
        "work_queue_by_reason": [r for r in q["work_queue_backlog"] if r["dimension"] == "reason"],
        "denials_awaiting_review": len(q["denials_awaiting_review"]),
        "by_outstanding_balances": _breakdown(q["outstanding_balances"], "payer_ar", "patient_ar", "total_ar"),
    }


def compute_trends(conn, as_of: date, weeks: int = 8) -> list[dict]:
    """First-pass acceptance rate per week and days in A/R at each week's end, oldest first.

    Week i covers the 7 days ending on as_of − 7·i; both numbers come from the same named
    queries as the headline figures, so a trend point equals that week's weekly report.
    """
    points = []
    for i in reversed(range(weeks)):
        end = as_of - timedelta(days=7 * i)
        start = end - timedelta(days=6)
        fpa = _overall(run_metric(conn, "first_pass_acceptance", period_start=start, period_end=end, as_of=end))
        dar = run_metric(conn, "days_in_ar", as_of=end)[0]
        points.append({"week_start": start, "week_end": end,
                       "first_pass_acceptance_rate": fpa["rate"], "first_pass_submitted": fpa["first_submitted"],
                       "days_in_ar": dar["days_in_ar"], "total_ar": dar["total_ar"]})
    return points


def headline(kpis: dict) -> dict[str, Any]:
    """The few numbers a summary line (or the demo) shows."""
    keys = ("claims_submitted", "claims_processed", "first_pass_acceptance_rate", "clean_claim_rate",
            "denial_rate_count", "days_in_ar", "total_ar", "net_collection_rate", "work_queue_open")
    return {k: kpis.get(k) for k in keys}


def jsonable(value: Any) -> Any:
    """Decimals as strings (exact), dates as ISO strings, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
