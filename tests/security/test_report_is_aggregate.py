"""The managers' e-mail is aggregate: counts, amounts and rates by payer, age bucket, provider and
denial reason, worked out by hand from the fixture ledger (tests/unit/reports/ledger.py), with
no claim number, date of service or patient-level row in the HTML, the CSVs or the workbook,
and links into the Billing UI's filtered views instead."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from include.billing.reports import build_report
from include.billing.reports.mailer import build_message, parse_recipients
from include.billing.reports.render import AGGREGATE_COLUMNS, DETAILS
from tests.unit.reports import ledger

STEM = "billing-report-month_end-2026-03-31"


@pytest.fixture
def bundle(db, tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_UI_URL", "https://billing.practice.example/billing")
    ids = ledger.build(db)
    bundle = build_report(db, ledger.AS_OF, "month_end", tmp_path / "report")
    numbers = [n for (n,) in db.execute("SELECT claim_number FROM billing.claims")]
    dates = {d for (d,) in db.execute("SELECT date_of_service FROM billing.claims")}
    bundle.fixture = {"ids": ids, "claim_numbers": numbers, "dates": dates}
    return bundle


def _csv(bundle, name):
    with open(bundle.out_dir / f"{STEM}-{name}.csv") as fh:
        return list(csv.DictReader(fh))


def _texts(bundle):
    """Every text the message carries: the HTML body, the plain part, each attachment."""
    msg = build_message(bundle, parse_recipients("m@example.org"), "r@example.org")
    out = {"html": msg.get_body(preferencelist=("html",)).get_content(),
           "text": msg.get_body(preferencelist=("plain",)).get_content()}
    for part in msg.iter_attachments():
        name = part.get_filename()
        if name.endswith(".xlsx"):
            path = bundle.out_dir / name
            wb = load_workbook(path, read_only=True)
            out[name] = "\n".join(" ".join(str(c) for c in row if c is not None)
                                  for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
        elif not name.endswith(".png"):
            out[name] = part.get_payload(decode=True).decode()
    return out


def test_no_claim_numbers_dates_of_service_or_patients_anywhere(bundle):
    texts = _texts(bundle)
    assert set(texts) >= {"html", "text", f"{STEM}-ar_by_payer.csv", f"{STEM}.xlsx"}
    numbers = bundle.fixture["claim_numbers"]
    visit_numbers = {n.split("P")[0] for n in numbers}
    dates = {d.isoformat() for d in bundle.fixture["dates"]} | {f"{d:%m/%d/%Y}" for d in bundle.fixture["dates"]}
    for where, text in texts.items():
        for value in [*numbers, *visit_numbers, *dates, "Testpatient", "MRN0001", "1980-01-01"]:
            assert value not in text, (where, value)


def test_every_attachment_column_is_an_aggregate():
    for name, (_title, columns) in DETAILS.items():
        assert set(columns) <= AGGREGATE_COLUMNS, name
        assert not {"claim_number", "date_of_service", "work_item_id", "patient", "member_id"} & set(columns)


def test_ar_by_payer_age_and_provider_match_the_ledger(bundle):
    # payer A/R at 3/31: C4 300, C5 250, C7 120 (paid 100 then reversed), C8 90, C10 500, C11 60,
    # C15 130, C16 210, C17 95 = 1,755.00; C2 (20.00), C12 (PR-2 25.00) and C18 (PR-1 75.00) are listed for
    # their patient balances only; C19/C20 are settled (the secondary paid 10.00 and wrote the rest down)
    payer = {r["payer"]: r for r in _csv(bundle, "ar_by_payer")}
    assert payer["Acme Health"]["claims"] == "8" and payer["Acme Health"]["payer_balance"] == "1185.00"
    assert payer["Acme Health"]["patient_balance"] == "45.00"
    assert payer["Beta Insurance"]["claims"] == "4" and payer["Beta Insurance"]["payer_balance"] == "570.00"
    assert payer["Beta Insurance"]["patient_balance"] == "75.00"
    assert Decimal(payer["Acme Health"]["share_of_payer_ar"]) == (Decimal("1185") / Decimal("1755")).quantize(
        Decimal("0.0001"))
    # age from the date of service: 0-30 C2 C4 C5 C7 C8 C15 C18 (22 d); 31-60 C16 (44 d), C12 (49 d);
    # 61-90 C10 (80 d); 91-120 C17 (101 d); 120+ C11 (150 d)
    age = {r["aging_bucket"]: (r["claims"], r["payer_balance"]) for r in _csv(bundle, "ar_by_age")}
    assert age == {"0-30": ("7", "890.00"), "31-60": ("2", "210.00"), "61-90": ("1", "500.00"),
                   "91-120": ("1", "95.00"), "120+": ("1", "60.00")}
    # Dr Avery (1245319599): C2 C4 C7 C10 C12 C15 C17; Dr Brook (1679576722): C5 C8 C11 C16 C18
    provider = {r["rendering_npi"]: (r["claims"], r["payer_balance"]) for r in _csv(bundle, "ar_by_provider")}
    assert provider == {"1245319599": ("7", "1145.00"), "1679576722": ("5", "610.00")}


def test_denials_by_reason_and_links_into_the_billing_ui(bundle):
    # one open denial work item at 3/31: W3, C5 at Acme, CO-16, charge 250.00
    rows = _csv(bundle, "denials_by_reason")
    assert [(r["reason_code"], r["payer"], r["work_items"], r["total_charge"]) for r in rows] == [
        ("CARC_CO-16", "Acme Health", "1", "250.00")]
    html = bundle.html_path.read_text()
    links = set(re.findall(r'href="([^"]+)"', html))
    base = "https://billing.practice.example/billing"
    assert f"{base}/queue?source=denial&amp;reason=CARC_CO-16" in links
    assert f"{base}/queue?source=denial" in links and f"{base}/" in links
    assert f"{base}/queue?min_age=121" in links
