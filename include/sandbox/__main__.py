"""Command line: ``python -m include.sandbox serve|process|hostkey`` (see README.md)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from include.edi.errors import X12Error

from .clearinghouse import Clearinghouse
from .roster import Roster, RosterError
from .scenario import Scenario, ScenarioError

DEFAULT_SCENARIO = Path(__file__).resolve().parent / "scenarios" / "default.yaml"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m include.sandbox",
                                description="Local clearinghouse and payer simulator (SFTP mailbox + 270/271 HTTP).")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--root", required=True, type=Path, help="mailbox folder (inbound/, outbound/, archive/)")
        sp.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario YAML")
        sp.add_argument("--roster", required=True, type=Path, help="member roster JSON from the practice generator")

    s = sub.add_parser("serve", help="SFTP server + processing loop + real-time eligibility HTTP endpoint")
    common(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="SFTP port (0 = a free port, printed)")
    s.add_argument("--http-port", type=int, default=None, help="eligibility HTTP port (omit to disable)")
    s.add_argument("--user", default="partner")
    s.add_argument("--password", default=None)
    s.add_argument("--authorized-key", type=Path, default=None, help="authorized_keys file for public-key login")
    s.add_argument("--keys", type=Path, default=None, help="host key folder (default ROOT/../sandbox-keys)")
    s.add_argument("--interval", type=float, default=2.0, help="seconds between processing steps")
    s.add_argument("--no-loop", action="store_true",
                   help="serve only; processing is driven by `process` (e.g. on a simulated clock)")

    pr = sub.add_parser("process", help="run one processing step and print a JSON report")
    common(pr)
    pr.add_argument("--now", default=None, help="simulated clock, ISO date/time (default: now, UTC)")

    hk = sub.add_parser("hostkey", help="print the SFTP host public key (created if missing)")
    hk.add_argument("--keys", required=True, type=Path)
    return p


def _load(args):
    return Scenario.load(args.scenario), Roster.load(args.roster)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.cmd == "hostkey":
            from .sftp_server import host_public_key
            print(host_public_key(args.keys))
            return 0
        scenario, roster = _load(args)
        ch = Clearinghouse(args.root, scenario, roster)
        if args.cmd == "process":
            now = dt.datetime.fromisoformat(args.now) if args.now else None
            print(json.dumps(ch.process(now).to_dict(), indent=2))
            return 0
        return _serve(args, ch, roster, scenario)
    except (ScenarioError, RosterError, X12Error, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _serve(args, ch: Clearinghouse, roster: Roster, scenario: Scenario) -> int:
    from .eligibility import serve_eligibility_http
    from .sftp_server import SandboxSFTPServer
    if args.password is None and args.authorized_key is None:
        raise ValueError("serve needs --password or --authorized-key")
    if args.http_port is not None and args.password is None:
        raise ValueError("--http-port needs --password (the endpoint uses HTTP Basic authentication)")
    keys = args.keys or args.root.resolve().parent / "sandbox-keys"
    sftp = SandboxSFTPServer(args.root, host=args.host, port=args.port, keys_dir=keys, user=args.user,
                             password=args.password, authorized_keys=args.authorized_key).start()
    http = None
    if args.http_port is not None:
        http = serve_eligibility_http(roster, args.host, args.http_port, user=args.user, password=args.password,
                                      sender_id=scenario.clearinghouse_id)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(json.dumps({"sftp_host": args.host, "sftp_port": sftp.port, "host_key": sftp.host_public_key,
                      "http_url": http.url if http else None, "root": str(args.root.resolve())}), flush=True)
    try:
        if args.no_loop:
            while not stop.wait(1):
                pass
        else:
            ch.run_loop(args.interval, stop)
    finally:
        if http:
            http.shutdown()
        sftp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
