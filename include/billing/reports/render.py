"""The report's HTML body (Jinja2 template include/templates/billing_report.html) and its
CSV / XLSX attachments. Everything is aggregate (counts, amounts, rates by payer, age bucket,
provider and denial reason; see aggregate.py): no claim numbers, dates of service or
patient-level rows. Claim lists are in the Billing UI."""

from __future__ import annotations

import csv
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE = "billing_report.html"

# attachment name -> (title, columns); rows come from include.billing.reports.aggregate
_AR = ["claims", "total_charge", "payer_paid", "payer_balance", "patient_balance", "share_of_payer_ar"]
DETAILS = {
    "ar_by_payer": ("A-R by payer", ["payer", *_AR]),
    "ar_by_age": ("A-R by age bucket", ["aging_bucket", *_AR]),
    "ar_by_provider": ("A-R by provider", ["rendering_npi", *_AR]),
    "denials_by_reason": ("Denials to review by reason", [
        "reason_code", "payer", "work_items", "total_charge", "oldest_age_days"]),
    "payment_postings": ("Payment postings by payer", [
        "label", "remittances", "held_remittances", "claim_payments", "reversals", "total_paid", "claims_paid"]),
}
# the only columns an attachment may have: a test holds every DETAILS entry to this list
AGGREGATE_COLUMNS = {"payer", "aging_bucket", "rendering_npi", "reason_code", "label", "claims", "work_items",
                     "total_charge", "payer_paid", "payer_balance", "patient_balance", "share_of_payer_ar",
                     "oldest_age_days", "remittances", "held_remittances", "claim_payments", "reversals",
                     "total_paid", "claims_paid"}


HEADERS = {"label": "payer"}  # column key -> header shown in the attachments


def money(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def pct(value) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.1f}%"


def num(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.{places}f}"


def days_from_hours(value) -> str:
    return "—" if value is None else f"{Decimal(value) / 24:.1f} d"


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=money, pct=pct, num=num, days=days_from_hours)
    return env


def render_html(context: dict) -> str:
    return environment().get_template(TEMPLATE).render(**context)


def _cell(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _private(path: Path) -> Path:
    os.chmod(path, 0o600)
    return path


def write_csv(rows: list[dict], columns: list[str], path: Path) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([HEADERS.get(c, c) for c in columns])
        for row in rows:
            writer.writerow([_text(row.get(c)) for c in columns])
    return _private(path)


def write_xlsx(details: dict[str, list[dict]], path: Path) -> Path:
    """One sheet per detail; write-only mode streams rows (100k rows in seconds)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, rows in details.items():
        title, columns = DETAILS[name]
        ws = wb.create_sheet(title=title[:31])
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=HEADERS.get(c, c))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([_cell(row.get(c)) for c in columns])
    wb.save(path)
    return _private(path)


def write_attachments(details: dict[str, list[dict]], out_dir: Path, stem: str) -> list[Path]:
    paths = [write_csv(details[name], DETAILS[name][1], out_dir / f"{stem}-{name}.csv") for name in DETAILS]
    paths.append(write_xlsx(details, out_dir / f"{stem}.xlsx"))
    return paths
