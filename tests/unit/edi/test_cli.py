"""CLI: JSON shape and exit codes (0 clean, 1 error findings, 2 unreadable; never a traceback)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import ROOT, SAMPLES, sample_files
from edi_factories import CREATED, RECEIVER, SUBMITTER, claim

from include.edi.__main__ import parse_file
from include.edi.x837p import build_837p


def run(*args):
    r = subprocess.run([sys.executable, "-m", "include.edi", *map(str, args)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert "Traceback" not in r.stderr
    return r


def test_parse_clean_837(tmp_path):
    p = tmp_path / "out.837"
    p.write_bytes(build_837p([claim(1, lines=2)], submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=5,
                             group_control_number=6, first_transaction_control_number=7, created=CREATED))
    r = run("parse", p)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["file"] == str(p) and out["findings"] == []
    [ic] = out["interchanges"]
    assert ic["control_number"] == "000000005"
    [g] = ic["groups"]
    assert g["version"] == "005010X222A1"
    [t] = g["transactions"]
    assert (t["type"], t["control_number"]) == ("837", "0007")
    [c] = t["claims"]
    assert (c["claim_id"], c["charge"], c["frequency_code"]) == ("C000001", "200.00", "1")
    assert [ln["line_control_number"] for ln in c["lines"]] == ["L1", "L2"] and c["lines"][0]["charge"] == "100.00"
    r = run("validate", p)
    assert r.returncode == 0 and json.loads(r.stdout) == {"file": str(p), "findings": []}


def test_parse_835_shape_and_error_exit():
    r = run("parse", SAMPLES / "835_005010X221A1" / "tertiary-payment.835")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    t = out["interchanges"][0]["groups"][0]["transactions"][0]
    assert t["payment_amount"] == "187.50" and t["trace_number"] == "0012524879"
    assert t["provider_adjustments"] == []
    c = t["claims"][0]
    assert {"claim_id", "status_code", "charge", "paid", "patient_responsibility", "payer_claim_control_number",
            "adjustments", "lines"} <= set(c)
    assert any(f["code"] == "line_unbalanced" for f in out["findings"])


def test_validate_reports_findings():
    r = run("validate", SAMPLES / "835_005010X221A1" / "cob-contractural-adjustment.835")
    assert r.returncode == 1
    assert any(f["element"] == "BPR16" for f in json.loads(r.stdout)["findings"])


def test_unreadable_input_exit_2(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_bytes(b"not x12 at all")
    r = run("parse", bad)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "bad.837" in r.stderr
    r = run("validate", tmp_path / "missing.837")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


# --- the orjson encoder writes the same document the standard library's json did ----------

def _stdlib_default(o):
    """The encoder hook the CLI had with the standard json module (the reference)."""
    if isinstance(o, Decimal):
        return f"{o:.2f}"
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    return str(o)


def _reference(path) -> dict:
    """What `parse` printed before orjson: json.dump(parse_file(path), indent=2, default=...)."""
    return json.loads(json.dumps(parse_file(str(path)), indent=2, default=_stdlib_default))


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cli_json_is_the_stdlib_document_on_every_sample(path):
    r = run("parse", path)
    assert r.returncode in (0, 1), r.stderr
    assert "\n" not in r.stdout.rstrip("\n")          # stdout is a pipe here: compact by default
    assert json.loads(r.stdout) == _reference(path)
    pretty = run("parse", "--pretty", path)
    assert pretty.stdout.startswith('{\n  "file": ') and json.loads(pretty.stdout) == _reference(path)


def test_jsonl_streams_the_same_transactions_and_findings():
    files = [p for p in sample_files() if p.suffix in (".835", ".837", ".999", ".270", ".271")][:12]
    r = run("parse", "--jsonl", *files)
    assert r.returncode in (0, 1), r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    for path in files:
        ref = _reference(path)
        mine = [rec for rec in records if rec["file"] == str(path)]
        assert mine[-1]["record"] == "file" and all(rec["record"] == "transaction" for rec in mine[:-1])
        expected = [(ic["control_number"], g["control_number"], t) for ic in ref["interchanges"]
                    for g in ic["groups"] for t in g["transactions"]]
        got = [(rec["interchange"]["control_number"], rec["group"]["control_number"], rec["transaction"])
               for rec in mine[:-1]]
        assert got == expected and mine[-1]["transactions"] == len(expected)
        key = lambda f: json.dumps(f, sort_keys=True)  # noqa: E731
        assert sorted(map(key, (f for rec in mine for f in rec["findings"]))) == sorted(map(key, ref["findings"]))


def test_several_files_give_a_list_and_unreadable_ones_exit_2(tmp_path):
    a, b = sample_files()[:2]
    r = run("parse", a, b)
    assert r.returncode in (0, 1) and json.loads(r.stdout) == [_reference(a), _reference(b)]
    bad = tmp_path / "bad.835"
    bad.write_bytes(b"ISA*garbage")
    r = run("parse", "--jsonl", bad)
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
