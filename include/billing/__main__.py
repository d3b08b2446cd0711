"""Billing command line.

    python -m include.billing accounts [--as-of DATE] [--json] [--visit V0000014 ...]

One row per visit: what was charged, what the payers paid, what was written down, what the
patient owes, and what still waits for a payer (include.billing.accounts has the rules). The
database is --url, else BILLING_DATABASE_URL; for the local private server that `make demo` uses,
`BILLING_DATABASE_URL=$(python -m include.devenv.postgres url)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys


def _accounts(args) -> int:
    import psycopg

    from .accounts import load_accounts

    with psycopg.connect(args.url) as conn:
        visit_ids = None
        if args.visit:
            visit_ids = [r[0] for r in conn.execute("SELECT id FROM pm.visits WHERE visit_number = ANY(%s)",
                                                    (args.visit,)).fetchall()]
        accounts = sorted(load_accounts(conn, visit_ids, as_of=args.as_of), key=lambda a: a.visit_number)
    rows = [a.to_dict() for a in accounts]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    cols = ("visit_id", "charge", "insurance_paid", "contractual_adjustments", "patient_responsibility",
            "patient_paid", "patient_balance", "pending_insurance")
    print("  ".join(f"{c:>14}" if i else f"{c:<10}" for i, c in enumerate(cols)) + "  claims")
    for r in rows:
        claims = " ".join(f"{c['claim_id']}({c['responsibility']}:{c['status']})" for c in r["claims"])
        print("  ".join(f"{r[c]:>14}" if i else f"{r[c]:<10}" for i, c in enumerate(cols)) + "  " + claims)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.billing")
    sub = parser.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accounts", help="one row per visit: charges, payments, write-downs, patient balance")
    acc.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                     help="the ledger as it stood at the end of this day (YYYY-MM-DD); default: now")
    acc.add_argument("--json", action="store_true", help="JSON instead of a table (money as strings)")
    acc.add_argument("--visit", action="append", help="only this visit number (repeatable)")
    acc.add_argument("--url", default=os.environ.get("BILLING_DATABASE_URL"),
                     help="the database (default: BILLING_DATABASE_URL)")
    args = parser.parse_args(argv)
    if not args.url:
        acc.error("name the database: --url or BILLING_DATABASE_URL "
                  "(the local private server: $(python -m include.devenv.postgres url))")
    return _accounts(args)


if __name__ == "__main__":
    raise SystemExit(main())
