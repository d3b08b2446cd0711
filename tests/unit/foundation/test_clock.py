"""billing.clock() (migration 0018): now() unless the owner allows a session offset; then the
offset a DAG run sets moves the ledger's timestamps (column defaults and the queries' stamps)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from include.billing.clock import allow_offset, clock, set_clock


def test_the_offset_counts_only_where_the_owner_allows_it(db_url, app_db_url):
    day = dt.datetime(2026, 9, 14, 7, 0, tzinfo=dt.UTC)
    with psycopg.connect(app_db_url, autocommit=True) as app:
        set_clock(app, day)
        assert abs(clock(app) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)   # production: now()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):                   # the app can't allow it
            allow_offset(app, True)
    with psycopg.connect(db_url, autocommit=True) as owner:
        allow_offset(owner, True, "test")
    with psycopg.connect(app_db_url, autocommit=True) as app:
        set_clock(app, day)
        assert abs(clock(app) - day) < dt.timedelta(minutes=1)
        # the run's clock anchored at its start: a task opened later reads on from as_of
        started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        set_clock(app, day, started)
        assert dt.timedelta(minutes=59) < clock(app) - day < dt.timedelta(minutes=61)
        set_clock(app, None)
        assert abs(clock(app) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_column_defaults_stamp_the_simulated_day(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        defaults = conn.execute("""SELECT count(*) FILTER (WHERE column_default = 'now()'),
                                          count(*) FILTER (WHERE column_default = 'billing.clock()')
                                     FROM information_schema.columns
                                    WHERE table_schema IN ('pm', 'billing')""").fetchone()
        assert defaults[0] == 0 and defaults[1] > 10, defaults
        allow_offset(conn, True, "test")
        set_clock(conn, dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC))
        stamped = conn.execute("SELECT billing.clock()::date").fetchone()[0]
    assert stamped == dt.date(2026, 10, 1)
