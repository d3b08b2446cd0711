"""Posting speed: one 835 with 10,000 claims (2 lines each) into Postgres.

Builds the practice and the claims set-based, builds the 835 with include.edi, stores it, and
times parse + balance + match + post (one transaction) through `post_stored_remittances`.
Prints seconds and claims/s (target: >= 1,000 claims/s). Usage:

    .venv/bin/python bench/bench_posting.py [--claims 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    import psycopg

    from include.billing.posting import post_stored_remittances
    from include.devenv.postgres import scratch_database
    from include.edi.x835 import parse_835
    from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, store

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--claims", type=int, default=10_000)
    args = ap.parse_args(argv)

    with scratch_database("bench_posting") as url:
        with psycopg.connect(url) as conn:
            t0 = time.perf_counter()
            claims = seed_practice(conn, args.claims, lines=2)
            t_seed = time.perf_counter() - t0
            clps = [paid_clp(c, deductible=Decimal("10.00") if i % 3 == 0 else Decimal(0),
                             copay=Decimal("5.00") if i % 2 == 0 else Decimal(0)) for i, c in enumerate(claims)]
            data = file_835([remittance(clps, trace="BENCH1")])
            store(conn, "bench.835", data)
            t1 = time.perf_counter()
            parse_835(data)
            t_parse = time.perf_counter() - t1
            t2 = time.perf_counter()
            out = post_stored_remittances(conn, actor="bench")
            t_post = time.perf_counter() - t2
            assert out["remittances_posted"] == 1 and out["claims_posted"] == args.claims, out
            n_lines = conn.execute("SELECT count(*) FROM billing.line_payments").fetchone()[0]
            n_ledger = conn.execute("SELECT count(*) FROM billing.patient_ledger").fetchone()[0]
            paid = conn.execute("SELECT sum(paid) FROM billing.claim_payments").fetchone()[0]
        print(f"835 size: {len(data) / 1e6:.2f} MB, {args.claims} claims, {n_lines} lines, "
              f"{n_ledger} patient-ledger entries, paid {paid}")
        print(f"seed (set-based): {t_seed:.2f} s")
        print(f"parse only: {t_parse:.2f} s ({args.claims / t_parse:,.0f} claims/s)")
        print(f"post (parse + balance + match + one transaction): {t_post:.2f} s")
        rate = args.claims / t_post
        print(f"posting rate: {rate:,.0f} claims/s (target >= 1,000; ratio {rate / 1000:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
