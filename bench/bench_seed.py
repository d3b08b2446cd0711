"""Synthetic practice: generate + COPY-load 100,000 visits into a fresh database.

Prints seconds for generation (pure Python) and loading (COPY + sequences + ANALYZE),
visits/s, and the scaling against a 10,000-visit run in the same process (ideal: 10x the
time for 10x the visits). Target: 100,000 visits in < 60 s total. Usage:

    .venv/bin/python bench/bench_seed.py [--visits 100000] [--baseline 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run(admin_url: str, visits: int, seed: int, today: date) -> dict:
    import psycopg

    from include.devenv.postgres import scratch_database
    from include.practice.generate import generate_practice
    from include.practice.seed import load_practice

    with scratch_database(f"bench_seed_{visits}", admin_url) as url:
        t0 = time.perf_counter()
        data = generate_practice(visits=visits, seed=seed, today=today)
        t1 = time.perf_counter()
        with psycopg.connect(url) as conn:
            with conn.transaction():
                load_practice(conn, data)
        t2 = time.perf_counter()
        rows = sum(len(r) for r in data.tables.values())
        return {"visits": visits, "rows": rows, "generate": t1 - t0, "load": t2 - t1, "total": t2 - t0,
                "dirty": sum(data.dirty.values())}

def main(argv=None) -> int:
    from include.devenv.postgres import database_url

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--visits", type=int, default=100_000)
    ap.add_argument("--baseline", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    admin_url = database_url()
    today = date(2026, 11, 27)

    results = [run(admin_url, n, args.seed, today) for n in (args.baseline, args.visits)]
    for r in results:
        print(f"{r['visits']:>7} visits ({r['rows']:,} rows, {r['dirty']} dirty): generate {r['generate']:.2f} s, "
              f"load {r['load']:.2f} s, total {r['total']:.2f} s = {r['visits'] / r['total']:,.0f} visits/s "
              f"({r['rows'] / r['load']:,.0f} rows/s loaded)")
    base, big = results
    size = big["visits"] / base["visits"]
    print(f"scaling {size:.0f}x visits: generate {big['generate'] / base['generate']:.1f}x, "
          f"load {big['load'] / base['load']:.1f}x, total {big['total'] / base['total']:.1f}x time "
          f"(linear = {size:.1f}x)")
    print(f"target: {big['visits']:,} visits in < 60 s -> {big['total']:.1f} s "
          f"({'met' if big['total'] < 60 else 'MISSED'}; ratio {60 / big['total']:.2f}x headroom)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
