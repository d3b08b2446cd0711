"""CLI: ``python -m include.edi parse FILE...`` / ``python -m include.edi validate FILE...``.

Prints JSON on stdout: indented on a terminal, compact otherwise (``--compact`` / ``--pretty``
choose).  ``parse --jsonl`` streams one JSON object per line instead: one per transaction
set, then one per file with the envelope findings, so memory follows the largest
transaction, not the file.  Exit 0 clean, 1 findings with severity error, 2 unreadable
input (one line on stderr, never a traceback).

Encoded with orjson; Decimals become strings with two decimals (the ``_default`` hook),
dates ISO 8601, dataclasses objects — the same document the standard library's encoder
gave (tests/unit/edi/test_cli.py compares the two on every sample file).  Only what the
command needs is imported: ``parse`` never loads pyx12, and each transaction type's parser
is imported when a transaction of that type is met.
"""
from __future__ import annotations

import sys

from . import registry
from .errors import Finding, X12Error


def _default(o):
    """The encoder hook for what JSON has no type for (orjson calls it for Decimal and
    anything unknown; it writes dates, datetimes and dataclasses itself, the same way)."""
    from decimal import Decimal
    if isinstance(o, Decimal):
        return f"{o:.2f}"
    import dataclasses
    import datetime as dt
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    return str(o)


def dumps(obj, *, pretty: bool = False) -> bytes:
    """``obj`` as JSON bytes with a trailing newline (indented by 2 when ``pretty``)."""
    import orjson
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE
    if pretty:
        option |= orjson.OPT_INDENT_2
    return orjson.dumps(obj, default=_default, option=option)


def _json_835(t, d: dict, findings: list[Finding], name: str) -> None:
    from .balance import balance_835
    from .x835 import parse_835_transaction
    r = parse_835_transaction(t)
    d.update(r.to_dict())
    for f in r.findings:
        f.file = f.file or name
    findings += [f for f in r.findings if f not in t.findings]
    findings += balance_835(r, file=name)


def _json_837(t, d: dict, findings: list[Finding], name: str) -> None:
    from .balance import balance_837
    from .x837p import claim_to_dict, parse_837p
    claims = parse_837p(t)
    d["claims"] = [claim_to_dict(c) for c in claims]
    findings += balance_837(claims, file=name)


def _json_999(t, d: dict, findings: list[Finding], name: str) -> None:
    from .x999 import parse_999_transaction
    d.update(parse_999_transaction(t).to_dict())


def _json_277(t, d: dict, findings: list[Finding], name: str) -> None:
    from ._status import parse_status_transaction
    d["claims"] = [c.to_dict() for c in parse_status_transaction(t)]


def _json_271(t, d: dict, findings: list[Finding], name: str) -> None:
    from .x271 import parse_271
    d["subscribers"] = [r.to_dict() for r in parse_271(t)]


def _json_inquiries(t, d: dict, findings: list[Finding], name: str) -> None:
    import dataclasses
    d["inquiries"] = [dataclasses.asdict(q) for q in registry.entry_for(t.type, t.version).parse(t)]


# the JSON of each registry entry (by its name); the entry comes from the registry
_JSON = {"835": _json_835, "837P": _json_837, "999": _json_999, "277CA": _json_277, "277": _json_277,
         "271": _json_271, "270": _json_inquiries, "276": _json_inquiries}


def _transaction_dict(t, findings: list[Finding], name: str) -> dict:
    d: dict = {"type": t.type, "control_number": t.control_number, "version": t.version}
    entry, unknown_version = registry.read_as(t, name)
    if unknown_version is not None:
        findings.append(unknown_version)
    if entry is None:
        d["segment_count"] = len(t.segments) + 2
    else:
        _JSON[entry.name](t, d, findings, name)
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


def _interchange_dict(isa) -> dict:
    return {"control_number": isa.control_number, "sender_id": isa.sender_id, "receiver_id": isa.receiver_id,
            "usage_indicator": isa.usage_indicator}


def _group_dict(g) -> dict:
    return {"functional_id": g.functional_id, "control_number": g.control_number, "version": g.version}


def iter_records(path: str):
    """The ``--jsonl`` records of one file, streamed: one per transaction set
    (``{"record": "transaction", "file", "interchange", "group", "transaction", "findings"}``,
    where ``transaction`` is the object ``parse`` puts in the group's ``transactions``), then
    one ``{"record": "file", "file", "transactions", "findings"}`` with the envelope findings
    of the interchanges and groups.  Transactions are not kept once written."""
    from .reader import iter_transactions
    envelope: list[Finding] = []
    isa = gs = None
    n = 0
    for t in iter_transactions(path, path, keep=False):
        if t.group is not gs:
            if gs is not None:
                envelope += gs.findings
            gs = t.group
        if gs.interchange is not isa:
            if isa is not None:
                envelope += isa.findings
            isa = gs.interchange
        findings = list(t.findings)
        d = _transaction_dict(t, findings, path)
        for f in findings:
            f.file = f.file or path
        n += 1
        yield {"record": "transaction", "file": path, "interchange": _interchange_dict(isa),
               "group": _group_dict(gs), "transaction": d, "findings": [f.to_dict() for f in findings]}
    if gs is not None:
        envelope += gs.findings
    if isa is not None:
        envelope += isa.findings
    for f in envelope:
        f.file = f.file or path
    yield {"record": "file", "file": path, "transactions": n, "findings": [f.to_dict() for f in envelope]}


def _validate(path: str) -> dict:
    from .validate import validate_x12
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise X12Error(f"cannot open: {exc.strerror or exc}", file=path) from None
    return {"file": path, "findings": [f.to_dict() for f in validate_x12(data, path)]}


def _unreadable(path: str, exc: Exception) -> None:
    if isinstance(exc, X12Error):
        print(f"error: {exc}", file=sys.stderr)
    else:  # never a traceback at a user
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {path}: unreadable input ({type(exc).__name__}: {msg})", file=sys.stderr)


def _has_error(findings: list[dict]) -> bool:
    return any(f["severity"] == "error" for f in findings)


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m include.edi", description="X12 5010 parse / validate")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for c in ("parse", "validate"):
        p = sub.add_parser(c)
        p.add_argument("files", nargs="+")
        layout = p.add_mutually_exclusive_group()
        layout.add_argument("--compact", action="store_true",
                            help="no indentation (the default when stdout is not a terminal)")
        layout.add_argument("--pretty", action="store_true", help="indent by 2 (the default on a terminal)")
        if c == "parse":
            layout.add_argument("--jsonl", action="store_true",
                                help="one JSON object per line: each transaction set, then each file's envelope "
                                     "findings; memory stays flat")
    args = ap.parse_args(argv)
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    write = out.write if out is not None else (lambda b: sys.stdout.write(b.decode("utf-8")))
    if getattr(args, "jsonl", False):
        return _jsonl(args.files, write)
    pretty = args.pretty or (not args.compact and sys.stdout.isatty())
    # the whole document is held until written: no cyclic garbage worth collecting meanwhile,
    # and the collector's passes over a million live objects cost more than the parse
    import gc
    gc.disable()
    results = []
    code = 0
    for path in args.files:
        try:
            res = parse_file(path) if args.cmd == "parse" else _validate(path)
        except Exception as exc:
            _unreadable(path, exc)
            code = 2
            continue
        results.append(res)
        if code == 0 and _has_error(res["findings"]):
            code = 1
    write(dumps(results if len(args.files) > 1 else (results[0] if results else []), pretty=pretty))
    return code


def _jsonl(files: list[str], write) -> int:
    # only the current transaction is alive: what is frozen now is never scanned again, and a
    # full collection every 64 transactions (cheap: few live objects) bounds any cyclic garbage
    import gc
    gc.freeze()
    gc.disable()
    code = 0
    n = 0
    for path in files:
        try:
            for rec in iter_records(path):
                write(dumps(rec))
                n += 1
                if n % 64 == 0:
                    gc.collect()
                if code == 0 and _has_error(rec["findings"]):
                    code = 1
        except Exception as exc:
            _unreadable(path, exc)
            code = 2
    return code


def _run() -> int:
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    code = _run()
    try:
        sys.stderr.flush()
    finally:
        # skip freeing the parsed document object by object at exit (a tenth of the run on a
        # large file); everything written has been flushed above
        import os
        os._exit(code)
