"""Load a generated practice into the pm schema with COPY, and say what is there.

Seeding refuses a database that already holds a practice (`PracticeExistsError`): appending
would need new visit numbers and a second truth table, and nothing here needs it. Callers
that may run twice (the demo) use `ensure_practice`, which seeds only when pm.visits is empty
and returns the summary either way.

Transactions: both functions work inside `conn.transaction()`. On a connection with no
transaction open that block commits at its end; inside the caller's transaction it is a
savepoint and the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql

from include.practice.dirty import DIRTY_KINDS
from include.practice.generate import COLUMNS, PracticeData, generate_practice

# serialises concurrent seeders (two demo runs at once)
_LOCK_KEY = 7_240_305

_SERIAL_TABLES = ("pm.billing_providers", "pm.providers", "pm.facilities", "pm.payers", "pm.guarantors", "pm.patients",
                  "pm.insurance_policies", "pm.synthetic_member_plans", "pm.visits", "pm.charges")
_PRACTICE_TABLES = ("pm.billing_providers", "pm.providers", "pm.facilities", "pm.payers", "pm.fee_schedule",
                    "pm.patients", "pm.visits")

_LAST_RUN = """
SELECT seed, visits, dirty_share, dirty_kinds, today, start_date, end_date
  FROM pm.synthetic_seed_runs ORDER BY id DESC LIMIT 1
"""
_DIRTY_COUNTS = "SELECT dirty_kind, count(*) FROM pm.synthetic_visit_labels GROUP BY dirty_kind"
_COMPLETED = "SELECT count(*) FROM pm.visits WHERE status = 'completed'"
_RECORD_RUN = """
INSERT INTO pm.synthetic_seed_runs (seed, visits, dirty_share, dirty_kinds, today, start_date, end_date)
VALUES (%(seed)s, %(visits)s, %(dirty_share)s, %(dirty_kinds)s, %(today)s, %(start_date)s, %(end_date)s)
"""


class PracticeExistsError(RuntimeError):
    """The database already holds practice data; seeding would mix two practices."""


@dataclass(frozen=True)
class SeedSummary:
    """Counts only (no PHI): rows per pm table and dirty visits per kind."""

    counts: dict[str, int]
    dirty: dict[str, int]
    completed: int
    created: bool  # True when this call loaded the practice
    seed: int | None = None
    today: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def visits(self) -> int:
        return self.counts.get("pm.visits", 0)

    @property
    def dirty_total(self) -> int:
        return sum(self.dirty.values())

    def lines(self) -> list[str]:
        head = "seeded" if self.created else "already seeded"
        out = [f"practice {head}: {self.visits} visits ({self.completed} completed), "
               f"{self.dirty_total} dirty" + (f", seed {self.seed}" if self.seed is not None else "")]
        if self.start_date:
            out.append(f"dates of service {self.start_date}..{self.end_date} (today {self.today})")
        out += [f"  {table:<28} {count:>9}" for table, count in self.counts.items()]
        out += [f"  dirty {kind:<22} {count:>9}" for kind, count in sorted(self.dirty.items())]
        return out


def practice_tables_in_use(conn: psycopg.Connection) -> list[str]:
    """The pm tables that already hold rows (empty list: free to seed)."""
    used = []
    for table in _PRACTICE_TABLES:
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(*table.split(".")))
        if conn.execute(query).fetchone()[0]:
            used.append(table)
    return used


def _exists_message(used: list[str]) -> str:
    return (f"the database already holds a practice ({', '.join(used)} not empty); seed into a fresh "
            "database, or use ensure_practice() to keep what is there")


def load_practice(conn: psycopg.Connection, data: PracticeData) -> None:
    """COPY every table of `data` into an empty pm schema, then move the id sequences past it."""
    with conn.cursor() as cur:
        for table, columns in COLUMNS.items():
            rows = data.tables[table]
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(*table.split(".")), sql.SQL(", ").join(map(sql.Identifier, columns)))
            with cur.copy(copy) as copier:
                write = copier.write_row
                for row in rows:
                    write(row)
        for table in _SERIAL_TABLES:
            ident = sql.Identifier(*table.split("."))
            cur.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), "
                                "(SELECT coalesce(max(id), 0) + 1 FROM {}), false)").format(
                sql.Literal(table), ident))
        cur.execute(_RECORD_RUN, {
            "seed": data.seed, "visits": data.visits, "dirty_share": data.dirty_share,
            "dirty_kinds": list(data.dirty_kinds), "today": data.today, "start_date": data.start_date,
            "end_date": data.end_date})
        # fresh statistics so the first pipeline queries plan well
        for table in COLUMNS:
            cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(*table.split("."))))


def summarize(conn: psycopg.Connection, *, created: bool = False) -> SeedSummary:
    """What the pm schema holds now (counts only), with the parameters of the last seeding."""
    counts = {}
    for table in COLUMNS:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split(".")))
        counts[table] = conn.execute(query).fetchone()[0]
    dirty = dict(conn.execute(_DIRTY_COUNTS).fetchall())
    completed = conn.execute(_COMPLETED).fetchone()[0]
    run = conn.execute(_LAST_RUN).fetchone()
    extra = {}
    if run:
        seed, _visits, _share, kinds, today, start, end = run
        dirty = {kind: dirty.get(kind, 0) for kind in kinds} | dirty
        extra = {"seed": seed, "today": today, "start_date": start, "end_date": end}
    return SeedSummary(counts=counts, dirty=dirty, completed=completed, created=created, **extra)


def seed_practice(conn: psycopg.Connection, *, visits: int, seed: int, dirty_share: float = 0.05,
                  dirty_kinds: Sequence[str] = DIRTY_KINDS, today: date | None = None,
                  start_date: date | None = None, end_date: date | None = None,
                  quarter: bool = False) -> SeedSummary:
    """Generate a practice from `seed` and load it into an empty pm schema.

    Raises PracticeExistsError when practice data is already there (nothing is written).
    """
    import time

    used = practice_tables_in_use(conn)  # fail fast, before spending seconds generating
    if used:
        raise PracticeExistsError(_exists_message(used))
    started = time.perf_counter()
    data = generate_practice(visits=visits, seed=seed, dirty_share=dirty_share, dirty_kinds=dirty_kinds,
                             today=today, start_date=start_date, end_date=end_date, quarter=quarter)
    generated = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        used = practice_tables_in_use(conn)
        if used:
            raise PracticeExistsError(_exists_message(used))
        load_practice(conn, data)
        summary = summarize(conn, created=True)
    loaded = time.perf_counter()
    summary.timings.update(generate=generated - started, load=loaded - generated)
    return summary


def ensure_practice(conn: psycopg.Connection, visits: int, seed: int, **options) -> SeedSummary:
    """Seed only when pm.visits is empty; return the summary of what is there either way.

    `options` are seed_practice's keyword arguments (dirty_share, dirty_kinds, today, ...).
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if conn.execute("SELECT EXISTS (SELECT 1 FROM pm.visits)").fetchone()[0]:
            return summarize(conn, created=False)
        return seed_practice(conn, visits=visits, seed=seed, **options)
