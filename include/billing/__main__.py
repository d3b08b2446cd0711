"""Billing command line.

    python -m include.billing accounts [--as-of DATE] [--json] [--visit V0000014 ...]

One row per visit: what was charged, what the payers paid, what was written down, what the
patient owes, and what still waits for a payer (include.billing.accounts has the rules). The
database is BILLING_DATABASE_URL, else the local private server that `make demo` uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys


def _database_url() -> str:
    url = os.environ.get("BILLING_DATABASE_URL")
    if url:
        return url
    from include.devenv.postgres import database_url  # a dev entry point: the local private server

    return database_url()


def _accounts(args) -> int:
    import psycopg

    from .accounts import load_accounts

    with psycopg.connect(_database_url()) as conn:
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
    args = parser.parse_args(argv)
    return _accounts(args)


if __name__ == "__main__":
    raise SystemExit(main())
