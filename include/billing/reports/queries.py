"""Named report queries: one SQL file per metric under include/sql/queries/reports/.

The emailed report and the dashboard read the same files, so a metric has one definition.
Every query takes the period and as-of *dates*; `run_metric` adds the matching instants
(`period_start_ts`, `period_end_ts`, `as_of_ts`: exclusive ends at midnight in the report
time zone) and the zone's name (`report_tz`, to turn an instant into a report day) so the SQL
never depends on the session's TimeZone.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from psycopg.rows import dict_row

from include.billing.rcm_sql import names, query

DEFAULTS = {"top_n": 10}


def report_timezone() -> ZoneInfo:
    """Days start at midnight in BILLING_REPORT_TZ (default UTC)."""
    return ZoneInfo(os.environ.get("BILLING_REPORT_TZ", "UTC"))


def available() -> list[str]:
    return names("reports")


def load_query(name: str) -> str:
    """The SQL text of the named report query (`include/sql/queries/reports/<name>.sql`)."""
    try:
        return query("reports", name)
    except LookupError:
        raise LookupError(f"no report query {name!r} (have: {', '.join(available())})") from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=report_timezone())


def query_params(*, period_start: date | None = None, period_end: date | None = None,
                 as_of: date | None = None, **extra) -> dict:
    """Dates plus their instants; `period_end` and `as_of` are inclusive days."""
    as_of = as_of or period_end
    period_end = period_end or as_of
    period_start = period_start or period_end
    if as_of is None:
        raise ValueError("a report query needs as_of or period_end")
    if period_start > period_end:
        raise ValueError(f"period_start {period_start} is after period_end {period_end}")
    params = dict(DEFAULTS)
    params.update(
        period_start=period_start, period_end=period_end, as_of=as_of,
        period_start_ts=_start_of(period_start),
        period_end_ts=_start_of(period_end + timedelta(days=1)),
        as_of_ts=_start_of(as_of + timedelta(days=1)),
        report_tz=report_timezone().key,
    )
    params.update(extra)
    return params


def run_metric(conn, name: str, **params) -> list[dict]:
    """Run one named query; rows as dicts (money as Decimal, as psycopg returns NUMERIC)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(load_query(name), query_params(**params))
        return cur.fetchall()
