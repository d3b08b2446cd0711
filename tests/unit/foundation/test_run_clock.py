"""One run clock for every DAG (include.dag_support.run_clock): the `as_of` param, else the data
interval end, else the run's start; and the day a report covers follows from it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from include.dag_support import run_clock

UTC = dt.UTC
START = dt.datetime(2026, 3, 5, 7, 0, 12, tzinfo=UTC)
FIRED = dt.datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


def _context(as_of=None, data_interval_end=FIRED, run_after=None):
    return {"params": {"as_of": as_of}, "data_interval_end": data_interval_end,
            "dag_run": SimpleNamespace(start_date=START, run_after=run_after)}


def test_as_of_timestamp_is_the_clock_and_naive_means_utc():
    assert run_clock(_context("2026-02-10T09:30:00")) == dt.datetime(2026, 2, 10, 9, 30, tzinfo=UTC)
    assert run_clock(_context("2026-02-10T09:30:00-05:00")) == dt.datetime(2026, 2, 10, 14, 30, tzinfo=UTC)


def test_as_of_date_is_the_end_of_that_day():
    assert run_clock(_context("2026-03-31")) == dt.datetime(2026, 4, 1, tzinfo=UTC)


def test_without_as_of_the_data_interval_end_then_the_run():
    assert run_clock(_context()) == FIRED
    after = dt.datetime(2026, 3, 5, 6, 59, tzinfo=UTC)
    assert run_clock(_context(data_interval_end=None, run_after=after)) == after
    assert run_clock(_context(data_interval_end=None)) == START


def test_the_reports_day_is_the_last_whole_day_before_the_clock():
    # dags/billing_reports.py: run_clock(context).date() - 1 day
    day = lambda ctx: run_clock(ctx).date() - dt.timedelta(days=1)  # noqa: E731
    assert day(_context("2026-03-31")) == dt.date(2026, 3, 31)
    assert day(_context()) == dt.date(2026, 3, 4)


def test_every_dag_reads_the_one_clock():
    # no DAG keeps a clock of its own (the three "now" functions this replaced)
    from pathlib import Path

    dags = Path(__file__).resolve().parents[3] / "dags"
    for path in dags.glob("*.py"):
        text = path.read_text()
        for old in ("_run_start", "def _as_of", "ledger_clock", "start_date or", "datetime.now("):
            assert old not in text, f"{path.name}: {old}"
