"""CLI: JSON shape and exit codes (0 clean, 1 error findings, 2 unreadable; never a traceback)."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, SAMPLES
from edi_factories import CREATED, RECEIVER, SUBMITTER, claim

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
