"""The dashboard's KPI cache: never blocks a page, recomputes in the background when stale."""

from __future__ import annotations

import threading
import time

import pytest
from billing_ui.kpi_cache import KpiCache


def _wait(cache, key, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value, at = cache.get(key, lambda: pytest.fail("no recompute expected while fresh"))
        if value is not None:
            return value, at
        time.sleep(0.01)
    raise AssertionError("the background computation never finished")


def test_first_request_does_not_wait_and_later_ones_get_the_figures():
    cache = KpiCache(ttl=60)
    release = threading.Event()
    calls = []

    def compute():
        calls.append(1)
        release.wait(5)
        return {"total_ar": 1}

    assert cache.get(("db", 1), compute) == (None, None)
    assert cache.get(("db", 1), compute) == (None, None)      # still running: not started twice
    release.set()
    value, at = _wait(cache, ("db", 1))
    assert value == {"total_ar": 1} and at is not None and calls == [1]


def _idle(cache, key):
    deadline = time.monotonic() + 5
    while key in cache._refreshing:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_stale_figures_are_served_while_recomputing_and_errors_are_kept_apart():
    cache = KpiCache(ttl=0)                                   # always stale
    assert cache.get("k", lambda: 1) == (None, None)
    _idle(cache, "k")

    def broken():
        raise RuntimeError("db down")

    assert cache.get("k", broken)[0] == 1                        # the older figure, at once
    _idle(cache, "k")
    assert cache.error("k") == "RuntimeError"
    assert cache.get("k", lambda: 2)[0] == 1                     # still the older one; recomputing
    _idle(cache, "k")
    assert cache.get("k", lambda: 3)[0] == 2 and cache.error("k") is None


def test_the_cache_is_bounded():
    cache = KpiCache(ttl=60, max_entries=3)
    for i in range(5):
        cache._put(i, i)
    assert list(cache._entries) == [2, 3, 4]


def test_the_dashboard_day_is_the_reports_day(monkeypatch):
    from billing_ui.app import report_timezone

    from include.billing.reports.queries import report_timezone as reports_timezone

    for tz in (None, "America/Chicago", "Pacific/Kiritimati"):
        if tz is None:
            monkeypatch.delenv("BILLING_REPORT_TZ", raising=False)
        else:
            monkeypatch.setenv("BILLING_REPORT_TZ", tz)
        assert report_timezone() == reports_timezone()
