"""Command line of the synthetic practice.

    python -m include.practice seed --visits 10000 --seed 7 [--dirty-share 0.05]
        [--dirty-kinds missing_member_id,invalid_npi,...] [--url URL]
        [--today D] [--start-date D --end-date D] [--roster-out PATH]
    python -m include.practice roster [--out PATH] [--url URL]

The database is --url, else $BILLING_DATABASE_URL, else the private development server.
`seed` applies pending migrations first and refuses a database that already has a practice.
Output is counts only (no PHI).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from include.practice.dirty import DIRTY_KINDS


def _url(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("BILLING_DATABASE_URL"):
        return os.environ["BILLING_DATABASE_URL"]
    from include.devenv.postgres import database_url

    return database_url()


def _default_roster() -> Path:
    from include.devenv.paths import sub_dir

    return sub_dir("practice") / "roster.json"


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in DIRTY_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown dirty kind(s) {', '.join(unknown)}; known: {', '.join(DIRTY_KINDS)}")
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.practice",
                                     description="Synthetic practice: seed the pm schema, export the payer roster.")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="generate and load a practice")
    seed.add_argument("--visits", type=int, default=10_000)
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--dirty-share", type=float, default=0.05)
    seed.add_argument("--dirty-kinds", type=_kinds, default=DIRTY_KINDS,
                      help="comma-separated, default all: " + ",".join(DIRTY_KINDS))
    seed.add_argument("--today", type=date.fromisoformat, help="the day the practice is seen from (default: today)")
    seed.add_argument("--start-date", type=date.fromisoformat, help="first date of service (default: today-60)")
    seed.add_argument("--end-date", type=date.fromisoformat, help="last date of service (default: today-1)")
    seed.add_argument("--roster-out", type=Path, help="also write the payer roster JSON here")
    seed.add_argument("--url")
    roster = commands.add_parser("roster", help="write the payer roster JSON (0600)")
    roster.add_argument("--out", type=Path, default=None, help="default: .run/practice/roster.json")
    roster.add_argument("--url")
    args = parser.parse_args(argv)

    import psycopg

    url = _url(args.url)
    if args.command == "seed":
        from include.billing.db import migrate
        from include.practice.seed import PracticeExistsError, seed_practice

        migrate(url)
        try:
            with psycopg.connect(url) as conn:
                summary = seed_practice(conn, visits=args.visits, seed=args.seed, dirty_share=args.dirty_share,
                                        dirty_kinds=args.dirty_kinds, today=args.today,
                                        start_date=args.start_date, end_date=args.end_date)
        except (PracticeExistsError, ValueError) as exc:
            print(f"seed refused: {exc}", file=sys.stderr)
            return 1
        print("\n".join(summary.lines()))
        print(f"generated in {summary.timings['generate']:.1f} s, loaded in {summary.timings['load']:.1f} s")
        if args.roster_out:
            from include.practice.roster import export_roster

            members = export_roster(url, args.roster_out)
            print(f"roster: {members} members -> {args.roster_out}")
        return 0

    from include.practice.roster import export_roster

    out = args.out or _default_roster()
    members = export_roster(url, out)
    print(f"roster: {members} members -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
