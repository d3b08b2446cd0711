"""CLI: ``python -m include.edi parse FILE...`` / ``python -m include.edi validate FILE...``.

Prints JSON on stdout.  Exit 0 clean, 1 findings with severity error, 2 unreadable input
(one line on stderr, never a traceback).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from decimal import Decimal

from .errors import Finding, X12Error


def _default(o):
    if isinstance(o, Decimal):
        return f"{o:.2f}"
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    return str(o)


def _transaction_dict(t, findings: list[Finding], name: str) -> dict:
    from .balance import balance_835, balance_837
    d: dict = {"type": t.type, "control_number": t.control_number, "version": t.version}
    v = t.version or ""
    if t.type == "835":
        from .x835 import parse_835_transaction
        r = parse_835_transaction(t)
        d.update(r.to_dict())
        for f in r.findings:
            f.file = f.file or name
        findings += [f for f in r.findings if f not in t.findings]
        findings += balance_835(r, file=name)
    elif t.type == "837":
        from .x837p import claim_to_dict, parse_837p
        claims = parse_837p(t)
        d["claims"] = [claim_to_dict(c) for c in claims]
        findings += balance_837(claims, file=name)
    elif t.type == "999":
        from .x999 import parse_999_transaction
        d.update(parse_999_transaction(t).to_dict())
    elif t.type == "277":
        from ._status import parse_status_transaction
        d["claims"] = [c.to_dict() for c in parse_status_transaction(t)]
    elif t.type == "271":
        from .x271 import parse_271
        d["subscribers"] = [r.to_dict() for r in parse_271(t)]
    elif t.type == "270":
        from .x270 import parse_270
        d["inquiries"] = [dataclasses.asdict(q) for q in parse_270(t)]
    elif t.type == "276":
        from .x276 import parse_276
        d["inquiries"] = [dataclasses.asdict(q) for q in parse_276(t)]
    else:
        d["segment_count"] = len(t.segments) + 2
    del v
    return d


def parse_file(path: str) -> dict:
    """The CLI JSON object for one file (raises X12Error when unreadable)."""
    from .reader import read_interchanges
    findings: list[Finding] = []
    isas = read_interchanges(path, path)
    out = {"file": path, "interchanges": [], "findings": []}
    for isa in isas:
        findings += isa.findings
        ic = {"control_number": isa.control_number, "sender_id": isa.sender_id, "receiver_id": isa.receiver_id,
              "usage_indicator": isa.usage_indicator, "groups": []}
        for g in isa.groups:
            findings += g.findings
            gd = {"functional_id": g.functional_id, "control_number": g.control_number, "version": g.version,
                  "transactions": []}
            for t in g.transactions:
                findings += t.findings
                gd["transactions"].append(_transaction_dict(t, findings, path))
            ic["groups"].append(gd)
        out["interchanges"].append(ic)
    for f in findings:
        f.file = f.file or path
    out["findings"] = [f.to_dict() for f in findings]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m include.edi", description="X12 5010 parse / validate")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for c in ("parse", "validate"):
        p = sub.add_parser(c)
        p.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    results = []
    code = 0
    for path in args.files:
        try:
            if args.cmd == "parse":
                res = parse_file(path)
                errs = [f for f in res["findings"] if f["severity"] == "error"]
            else:
                from .validate import validate_x12
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError as exc:
                    raise X12Error(f"cannot open: {exc.strerror or exc}", file=path) from None
                fs = validate_x12(data, path)
                res = {"file": path, "findings": [f.to_dict() for f in fs]}
                errs = [f for f in fs if f.severity == "error"]
        except X12Error as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = 2
            continue
        except Exception as exc:  # never a traceback at a user
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"error: {path}: unreadable input ({type(exc).__name__}: {msg})", file=sys.stderr)
            code = 2
            continue
        results.append(res)
        if errs and code == 0:
            code = 1
    json.dump(results if len(args.files) > 1 else (results[0] if results else []), sys.stdout,
              indent=2, default=_default)
    sys.stdout.write("\n")
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
