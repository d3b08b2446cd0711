"""The rendered report: HTML, charts, attachments, the MIME message, and a real browser render.

The Chromium screenshot is kept in .run/test-artifacts/reports/ for people to look at.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from include.billing.reports import build_report, resolve_sections
from include.billing.reports.mailer import build_message, parse_recipients
from tests.unit.reports import ledger

ARTIFACTS = Path(__file__).resolve().parents[3] / ".run" / "test-artifacts" / "reports"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def bundle(db, tmp_path):
    ledger.build(db)
    return build_report(db, ledger.AS_OF, "month_end", tmp_path / "report")


def test_sections_follow_the_calendar():
    assert list(resolve_sections("daily", date(2026, 3, 25))) == ["daily"]                       # a Wednesday
    assert resolve_sections("daily", date(2026, 3, 29))["weekly"] == (date(2026, 3, 23), date(2026, 3, 29))  # Sunday
    assert resolve_sections("daily", date(2026, 3, 31))["month_end"] == (date(2026, 3, 1), date(2026, 3, 31))
    assert resolve_sections("weekly", date(2026, 3, 31)) == {"weekly": (date(2026, 3, 25), date(2026, 3, 31))}
    with pytest.raises(ValueError, match="unknown report period"):
        resolve_sections("hourly", date(2026, 3, 31))


def test_bundle_files_and_html(bundle):
    html = bundle.html_path.read_text()
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert set(re.findall(r'src="cid:([a-z_]+)"', html)) == set(bundle.charts)
    assert "V0000005P1" not in html                             # aggregate only: the claim is in the Billing UI
    assert "CARC_CO-16" in html and "/billing/queue?source=denial&amp;reason=CARC_CO-16" in html
    assert "Testpatient" not in html and "1980-01-01" not in html
    assert "69.2%" in html                                       # first-pass acceptance 9 / 13
    assert bundle.subject.startswith("Month-end billing summary")
    for path in bundle.charts.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = sorted(p.name for p in bundle.attachments)
    stem = "billing-report-month_end-2026-03-31"
    assert names == [f"{stem}-ar_by_age.csv", f"{stem}-ar_by_payer.csv", f"{stem}-ar_by_provider.csv",
                     f"{stem}-denials_by_reason.csv", f"{stem}-payment_postings.csv", f"{stem}.xlsx"]
    with open(bundle.out_dir / f"{stem}-ar_by_payer.csv") as fh:
        rows = list(csv.DictReader(fh))
    # 9 claims in payer A/R + C2, C12 (PR-2 25.00) and C18 (PR-1 75.00) with a patient balance only:
    # Acme C2 C5 C7 C8 C10 C12 C15 C17, Beta C4 C11 C16 C18; C12 and C18 owe the payer nothing
    assert [(r["payer"], r["claims"], r["payer_balance"]) for r in rows] == [
        ("Acme Health", "8", "1185.00"), ("Beta Insurance", "4", "570.00")]
    assert bundle.counts == {"ar_by_payer_rows": 2, "ar_by_age_rows": 5, "ar_by_provider_rows": 2,
                             "denials_by_reason_rows": 1, "payment_postings_rows": 2}
    assert bundle.kpis["first_pass_acceptance_rate"] is not None
    assert bundle.json_path.exists() and bundle.manifest_path.exists()


def test_daily_run_on_a_month_end_adds_the_month_summary(db, tmp_path):
    ledger.build(db)
    daily = build_report(db, ledger.AS_OF, "daily", tmp_path / "daily")
    html = daily.html_path.read_text()
    assert daily.subject.startswith("Daily billing report")
    assert "month end" in html and "2026-03-01 – 2026-03-31" in html
    assert daily.kpis["period_start"] == daily.kpis["period_end"] == ledger.AS_OF
    assert daily.kpis["claims_submitted"] == 1                   # C8, submitted on 3/31


def test_message_structure(bundle):
    msg = build_message(bundle, parse_recipients("a@example.org, b@example.org,"), "reports@example.org")
    assert msg["To"] == "a@example.org, b@example.org"
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"}
    assert cids == set(bundle.charts)
    attachments = {p.get_filename() for p in msg.iter_attachments()}
    assert {a.name for a in bundle.attachments} <= attachments
    with pytest.raises(ValueError, match="no recipients"):
        build_message(bundle, [], "reports@example.org")


def test_chromium_renders_the_email(bundle):
    """Headless Chromium renders the HTML (cid: rewritten to the PNG files) and the charts show."""
    from PIL import Image

    html = bundle.html_path.read_text()
    for cid, path in bundle.charts.items():
        html = html.replace(f"cid:{cid}", path.resolve().as_uri())
    page = bundle.out_dir / "preview.html"
    page.write_text(html)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "billing_report.png"
    shot.unlink(missing_ok=True)
    profile = bundle.out_dir / "chromium-profile"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={shot}",
                    "--window-size=1000,2000", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    # the whole page too, for people reviewing the layout (not checked beyond existing)
    full = ARTIFACTS / "billing_report_full.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={full}",
                    "--window-size=1000,3600", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert full.stat().st_size > 0
    img = Image.open(shot).convert("RGB")
    assert img.size == (1000, 2000)
    # the header band is the brand blue
    assert img.getpixel((500, 30))[2] > 120 and img.getpixel((500, 30))[0] < 60
    # the charts sit in the 680 px column; their region holds many colours (lines, bars, text)
    column = img.crop((160, 250, 840, 2000))
    colours = column.getcolors(maxcolors=1 << 20)
    assert len(colours) > 500
    non_white = sum(n for n, c in colours if sum(c) < 720)
    assert non_white > 0.05 * column.size[0] * column.size[1]
    # the trend chart's blue line (matplotlib colour #1565c0) is drawn
    assert any(abs(c[0] - 0x15) < 20 and abs(c[1] - 0x65) < 20 and abs(c[2] - 0xC0) < 20 for _, c in colours)


def test_archiving_again_after_a_crash_finds_the_archive(db, tmp_path):
    """The archive task removes the run's work folder; a retry after it died finds the archive
    instead of failing on the missing manifest, and changes nothing."""
    from include.billing.reports import archive_rendered, compute_report, render_report

    ledger.build(db)
    work = tmp_path / "reports" / ".work" / "run1"
    state = compute_report(db, ledger.AS_OF, "daily", work)
    rendered = render_report(state, work / "out").to_xcom()
    target = archive_rendered(rendered, tmp_path / "reports")
    assert not work.exists()
    archived = {p.name: p.read_bytes() for p in target.iterdir()}
    assert "manifest-daily.json" in archived and any(n.endswith(".html") for n in archived)

    assert archive_rendered(rendered, tmp_path / "reports") == target
    assert {p.name: p.read_bytes() for p in target.iterdir()} == archived
    # nothing rendered and nothing archived for another period: a clear error, not a silent pass
    with pytest.raises(FileNotFoundError, match="month_end"):
        archive_rendered({**rendered, "period": "month_end"}, tmp_path / "reports")
