"""Patient statements: who is due, what the statement says, its PDF, the vendor file, the e-mail.

The rules (docs/patient_accounts.md has them with their judgments):

- A statement run for a statement date makes one statement per guarantor whose balance due
  (Σ balance of the visits whose insurance is finished) is above zero, whose last statement is
  at least the cycle ago (BILLING_STATEMENT_CYCLE_DAYS, default 30), and who has no open
  statement hold. Visits still pending with a payer are listed as "insurance pending" with no
  amount due.
- Totals: previous balance (the last statement's amount due), payments (applied, dated after
  the last statement up to the statement date), amount due (the balance on the statement date)
  and new charges = amount due − previous balance + payments (balance forward). Due date =
  statement date + BILLING_STATEMENT_DUE_DAYS (default 25).
- Dunning: a balance is billed first, second, then final notice, one cycle apart. A statement
  paid in full closes the sequence (the next balance starts again at "first"). A cycle after a
  final notice with money still due, a PATIENT_COLLECTIONS work item ("send to collections")
  is opened and no further statement is sent.
- Exactly once: statements are unique per guarantor and date; a PDF per statement (its sha256
  stored); the vendor file of a statement date holds the statements no earlier file holds, is
  stored before it is sent, uploaded as .part then renamed, and marked delivered; a notice
  e-mail per statement at most.
- Privacy: the PDF and the vendor file hold PHI (names, addresses, amounts): they live in the
  database and on the vendor's SFTP; local working files are 0600 and removed. The e-mail
  carries no amount and no name beyond the salutation, and never the statement.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import random
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

from .ledger.patient_payments import bill_self_pay_visits
from .patient_accounts import ZERO, open_item, record_event, rows, visit_balances

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LEVELS = {1: "first", 2: "second", 3: "final"}
VENDOR_COLUMNS = ("record_type", "statement_id", "account_number", "guarantor_name", "address1", "city", "state",
                  "zip", "statement_date", "due_date", "dunning_level", "previous_balance", "new_charges",
                  "payments", "amount_due", "line_number", "visit_number", "patient_first_name",
                  "date_of_service", "provider", "services", "charges", "insurance_paid", "adjustments",
                  "patient_paid", "balance", "insurance_pending")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class StatementSettings:
    cycle_days: int = 30
    due_days: int = 25
    vendor_folder: str = "statements"
    practice_phone: str | None = None
    portal_url: str | None = None


def load_settings() -> StatementSettings:
    return StatementSettings(
        cycle_days=_int("BILLING_STATEMENT_CYCLE_DAYS", 30),
        due_days=_int("BILLING_STATEMENT_DUE_DAYS", 25),
        vendor_folder=os.environ.get("BILLING_STATEMENT_VENDOR_FOLDER", "statements"),
        practice_phone=os.environ.get("BILLING_STATEMENT_PHONE") or None,
        portal_url=os.environ.get("BILLING_STATEMENT_PORTAL_URL") or None)


# --------------------------------------------------------------------------- the statement run

def run_statements(conn, statement_date: dt.date, *, actor: str,
                   settings: StatementSettings | None = None) -> dict:
    """Make the statements due on `statement_date` (see the module docstring). Commits.
    Returns counts only."""
    settings = settings or load_settings()
    bill_self_pay_visits(conn)
    conn.commit()
    by_key: dict[str, list] = {}
    for v in visit_balances(conn, as_of=statement_date):
        if v.date_of_service <= statement_date:
            by_key.setdefault(v.guarantor_key, []).append(v)
    held = {r.guarantor_key for r in rows("held_guarantors", conn).fetchall()}
    last = {r.guarantor_key: r for r in rows("last_statements", conn, {"statement_date": statement_date}).fetchall()}
    paid_on: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for r in rows("payments_by_guarantor", conn, {"as_of": statement_date}).fetchall():
        paid_on.setdefault(r.guarantor_key, []).append((r.payment_date, r.applied))
    out = {"statements": 0, "held": 0, "collections": 0, "not_due_yet": 0, "insurance_pending_lines": 0,
           "credits": 0}
    for key in sorted(by_key):
        visits = by_key[key]
        due = sum((v.balance for v in visits if v.finished), ZERO)
        prev = last.get(key)                    # the last statement: id, statement_date, sequence, amount_due
        if due < 0:
            # paid more than adjudication left (e.g. a desk copay above the final patient share)
            open_item(conn, reason_code="PATIENT_REFUND",
                      explanation=(f"Account {key} has a credit of {-due}: patient payments exceed what "
                                   f"insurance left to the patient. Refund it to the guarantor."),
                      dedupe_key=f"PATIENT_REFUND:account:{key}:{-due}",
                      details={"guarantor_key": key, "credit": str(-due)},
                      due=statement_date + dt.timedelta(days=3))
            conn.commit()
            out["credits"] += 1
            continue
        if due == 0:
            continue
        if key in held:
            out["held"] += 1
            continue
        if prev is not None and (statement_date - prev.statement_date).days < settings.cycle_days:
            out["not_due_yet"] += 1
            continue
        since = prev.statement_date if prev else dt.date.min
        payments = sum((a for day, a in paid_on.get(key, []) if since < day <= statement_date), ZERO)
        if prev is not None and payments < prev.amount_due:
            sequence = prev.sequence + 1              # the last statement is not paid in full: dunning goes on
        else:
            sequence = 1
        if sequence > 3:
            open_item(conn, reason_code="PATIENT_COLLECTIONS",
                      explanation=(f"Account {key}: a final notice went out on {prev.statement_date.isoformat()} and "
                                   f"{due} is still due. Send the account to collections (or place a "
                                   f"statement hold)."),
                      dedupe_key=f"PATIENT_COLLECTIONS:statement:{prev.id}",
                      details={"guarantor_key": key, "final_statement_id": prev.id, "amount_due": str(due)},
                      due=statement_date + dt.timedelta(days=3))
            record_event(conn, key, "collections", actor, {"final_statement_id": prev.id},
                         f"collections:{prev.id}")
            conn.commit()
            out["collections"] += 1
            continue
        previous = prev.amount_due if prev else ZERO
        row = rows("insert_statement", conn, {
            "key": key, "statement_date": statement_date, "sequence": sequence,
            "dunning_level": LEVELS[sequence], "previous_balance": previous,
            "new_charges": due - previous + payments, "payments": payments, "amount_due": due,
            "due_date": statement_date + dt.timedelta(days=settings.due_days), "actor": actor}).fetchone()
        if row is None:
            conn.rollback()
            continue
        statement_id = row.id
        paid_since = _paid_since(conn, [v.visit_id for v in visits], since, statement_date)
        number = 0
        for v in sorted(visits, key=lambda v: (v.date_of_service, v.visit_number)):
            if v.finished and v.balance == 0 and not paid_since.get(v.visit_id):
                continue                        # settled before this statement: nothing to show
            number += 1
            out["insurance_pending_lines"] += not v.finished
            rows("insert_statement_line", conn, {
                "statement_id": statement_id, "line_number": number, "visit_id": v.visit_id,
                "date_of_service": v.date_of_service, "provider": v.provider, "services": v.services,
                "charges": v.charges, "insurance_paid": v.insurance_paid, "adjustments": v.adjustments,
                "patient_responsibility": v.patient_responsibility if v.finished else ZERO,
                "patient_paid": v.patient_paid, "balance": v.balance if v.finished else ZERO,
                "insurance_pending": not v.finished})
        rows("insert_notice", conn, {"statement_id": statement_id})
        record_event(conn, key, "statement", actor, {"statement_id": statement_id, "level": LEVELS[sequence]},
                     f"statement:{statement_id}")
        conn.commit()
        out["statements"] += 1
    conn.commit()
    log.info("statement run %s: %s", statement_date, out)
    return out


def _paid_since(conn, visit_ids: list[int], since: dt.date, until: dt.date) -> dict[int, Decimal]:
    return {r.visit_id: r.paid
            for r in rows("paid_since", conn, {"visit_ids": visit_ids, "since": since, "until": until}).fetchall()}


# --------------------------------------------------------------------------- reading statements back

def load_statements(conn, ids: list[int]) -> list[dict]:
    """Statements with their guarantor's address and their lines (PHI: for the PDF and the vendor file)."""
    heads = {}
    for h in rows("statement_header", conn, {"ids": ids}).fetchall():
        heads[h.id] = {"id": h.id, "account_number": h.guarantor_key, "statement_date": h.statement_date,
                       "sequence": h.sequence, "dunning_level": h.dunning_level,
                       "previous_balance": h.previous_balance, "new_charges": h.new_charges, "payments": h.payments,
                       "amount_due": h.amount_due, "due_date": h.due_date,
                       "guarantor": {"first_name": h.first_name, "last_name": h.last_name,
                                     "name": f"{h.first_name} {h.last_name}", "address1": h.address1,
                                     "city": h.city, "state": h.state, "zip": h.zip},
                       "lines": []}
    for ln in rows("statement_lines", conn, {"ids": ids}).fetchall():
        heads[ln.statement_id]["lines"].append({
            "line_number": ln.line_number, "visit_number": ln.visit_number, "date_of_service": ln.date_of_service,
            "provider": ln.provider or "", "services": ln.services, "charges": ln.charges,
            "insurance_paid": ln.insurance_paid, "adjustments": ln.adjustments,
            "patient_responsibility": ln.patient_responsibility, "patient_paid": ln.patient_paid,
            "balance": ln.balance, "insurance_pending": ln.insurance_pending, "patient_first_name": ln.first_name})
    return [heads[i] for i in ids if i in heads]


def _practice(conn) -> dict:
    row = rows("practice", conn).fetchone()
    if row is None:
        return {"name": "Billing office", "address1": "", "city": "", "state": "", "zip": "", "phone": None}
    return row._asdict()


# --------------------------------------------------------------------------- PDFs

def render_html(statement: dict, practice: dict) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("patient_statement.html.j2").render(s=statement, practice=practice)


def render_statement_pdfs(conn, *, pdf: bool | None = None, limit: int = 100_000) -> dict:
    """Render every statement without a document: HTML from the template, printed to PDF by one
    headless Chromium (include/billing/pdf.py); both stored in the database with the PDF's
    sha256. Working files are 0600 in a private temporary folder, removed afterwards.
    Without Chromium (or with pdf=False) the HTML alone is stored. Commits per statement."""
    from .appeals import _pdf_enabled, chromium_binary

    conn.commit()
    ids = [r.id for r in rows("statements_without_document", conn, {"limit": limit}).fetchall()]
    if not ids:
        return {"rendered": 0, "pdfs": 0}
    practice = _practice(conn)
    statements = load_statements(conn, ids)
    conn.commit()
    binary = chromium_binary() if _pdf_enabled(pdf) else None
    rendered = pdfs = 0
    with tempfile.TemporaryDirectory(prefix="statements-") as work:   # mode 0700
        folder = Path(work)
        printer = None
        if binary:
            from .pdf import ChromiumPrinter

            printer = ChromiumPrinter(binary)
            printer.__enter__()
        try:
            for s in statements:
                html = render_html(s, practice)
                content = digest = None
                if printer is not None:
                    html_path, pdf_path = folder / f"statement-{s['id']}.html", folder / f"statement-{s['id']}.pdf"
                    fd = os.open(html_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.write(html)
                    printer.print(html_path, pdf_path)
                    content = pdf_path.read_bytes()
                    digest = hashlib.sha256(content).hexdigest()
                    html_path.unlink()
                    pdf_path.unlink()
                rows("insert_document", conn, {"statement_id": s["id"], "html": html, "pdf": content,
                                                    "sha256": digest})
                conn.commit()
                rendered += 1
                pdfs += content is not None
        finally:
            if printer is not None:
                printer.__exit__(None, None, None)
    return {"rendered": rendered, "pdfs": pdfs}


def export_pdf(conn, statement_id: int, folder: Path) -> Path:
    """Write a stored statement PDF to a file (0600), e.g. for a person to print."""
    row = rows("statement_pdf", conn, {"statement_id": statement_id}).fetchone()
    if row is None or row.pdf is None:
        raise LookupError(f"statement {statement_id} has no PDF")
    path = Path(folder) / f"statement-{statement_id}.pdf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(bytes(row.pdf))
    os.chmod(path, 0o600)
    return path


# --------------------------------------------------------------------------- the vendor file

def vendor_csv(statements: list[dict]) -> bytes:
    """One row per statement (record_type S) and one per line item (record_type L)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(VENDOR_COLUMNS)
    blank_line = [""] * 12
    for s in statements:
        g = s["guarantor"]
        head = [s["id"], s["account_number"]]
        w.writerow(["S", *head, g["name"], g["address1"], g["city"], g["state"], g["zip"],
                    s["statement_date"].isoformat(), s["due_date"].isoformat(), s["dunning_level"],
                    s["previous_balance"], s["new_charges"], s["payments"], s["amount_due"], *blank_line])
        for ln in s["lines"]:
            w.writerow(["L", *head, "", "", "", "", "", "", "", "", "", "", "", "",
                        ln["line_number"], ln["visit_number"], ln["patient_first_name"],
                        ln["date_of_service"].isoformat(), ln["provider"], ln["services"], ln["charges"],
                        ln["insurance_paid"], ln["adjustments"], ln["patient_paid"], ln["balance"],
                        "Y" if ln["insurance_pending"] else "N"])
    return buf.getvalue().encode("utf-8")


def build_vendor_file(conn, statement_date: dt.date) -> int | None:
    """Store the vendor file of the statements of this date that no earlier file holds (committed
    before anything is sent). None when there is nothing new."""
    # inline on purpose: an advisory lock, no table; one vendor file is built at a time
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('billing.statement_vendor_file'))")
    ids = [r.id for r in rows("statements_without_vendor_file", conn, {"statement_date": statement_date}).fetchall()]
    if not ids:
        conn.commit()
        return None
    n = rows("vendor_files_for_date", conn, {"statement_date": statement_date}).fetchone().n + 1
    content = vendor_csv(load_statements(conn, ids))
    file_id = rows("insert_vendor_file", conn, {
        "statement_date": statement_date, "file_name": f"statements_{statement_date:%Y%m%d}_{n:02d}.csv",
        "content": content, "sha256": hashlib.sha256(content).hexdigest(), "statements": len(ids)}).fetchone().id
    rows("link_vendor_file", conn, {"file_id": file_id, "ids": ids})
    conn.commit()
    return file_id


class PrivateRemote:
    """RemoteFiles whose written files are made 0600 where the server allows (the vendor file is PHI)."""

    def __init__(self, remote):
        self.remote = remote

    def __getattr__(self, name):
        return getattr(self.remote, name)

    def write(self, path: str, data: bytes) -> None:
        self.remote.write(path, data)
        client = getattr(self.remote, "client", None)
        if client is not None and hasattr(client, "chmod"):
            client.chmod(path, 0o600)


def deliver_vendor_files(conn, remote, *, settings: StatementSettings | None = None) -> dict:
    """Send every stored vendor file not yet delivered: intent recorded, uploaded as .part then
    renamed (include.billing.transport.upload_atomically), outcome recorded. Counts only."""
    from .transport import upload_atomically

    settings = settings or load_settings()
    conn.commit()
    out = {"uploaded": 0, "already_delivered": 0}
    for f in rows("vendor_files_to_deliver", conn).fetchall():
        if f.state == "stored":
            rows("vendor_file_state", conn, {"id": f.id, "state": "uploading"})
            conn.commit()                        # intent recorded before anything leaves
        result = upload_atomically(PrivateRemote(remote), bytes(f.content), settings.vendor_folder, f.file_name)
        rows("vendor_file_state", conn, {"id": f.id, "state": "delivered"})
        conn.commit()
        out[result] += 1
    return out


def vendor_files_waiting(conn) -> int:
    """How many vendor files are stored and not delivered yet (so a run with none needs no SFTP)."""
    return rows("vendor_files_waiting", conn).fetchone().n


# --------------------------------------------------------------------------- e-mail notices

def notices_waiting(conn) -> int:
    return rows("notices_waiting", conn).fetchone().n


def notice_message(email: str, first_name: str, last_name: str, sender: str, practice: dict,
                   settings: StatementSettings) -> EmailMessage:
    """'Your statement is ready': the salutation is the only name; no amount, no attachment."""
    msg = EmailMessage()
    msg["Subject"] = f"A new statement from {practice['name']} is ready"
    msg["From"] = sender
    msg["To"] = email
    where = (f"You can see it at {settings.portal_url}, and a paper copy is on its way by mail."
             if settings.portal_url else "A paper copy is on its way to you by mail.")
    phone = practice.get("phone") or settings.practice_phone
    msg.set_content(
        f"Dear {first_name} {last_name},\n\n"
        f"A new statement for your account is ready. {where}\n\n"
        + (f"If you have questions, please call our billing office at {phone}.\n\n" if phone else
           "If you have questions, please call our billing office.\n\n")
        + f"{practice['name']}\n\nThis message does not contain your statement or any account details.\n")
    return msg


def send_statement_notices(conn, client, *, sender: str, settings: StatementSettings | None = None) -> dict:
    """Send each pending notice through an open smtplib client; each marked sent once delivered."""
    settings = settings or load_settings()
    practice = _practice(conn)
    sent = 0
    for n in rows("notices_to_send", conn).fetchall():
        msg = notice_message(n.email, n.first_name, n.last_name, sender, practice, settings)
        refused = client.send_message(msg, from_addr=sender, to_addrs=[n.email])
        if refused:
            raise RuntimeError("the SMTP server refused a statement notice recipient")
        rows("notice_sent", conn, {"statement_id": n.statement_id})
        conn.commit()
        sent += 1
    conn.commit()
    return {"sent": sent}


# --------------------------------------------------------------------------- the demo's guarantors

def simulate_guarantor_payments(conn, today: dt.date, *, seed: int = 17, pay_full: float = 0.45,
                                pay_part: float = 0.25, overpay_one: bool = True) -> dict:
    """The demo's guarantors answering their statements: PM payments (pm.patient_payments) for
    every statement dated in the last cycle that no payment answers yet. Per statement, by a
    generator seeded with (seed, statement id): paid in full with probability `pay_full`, half
    paid with `pay_part`, else nothing yet. The first statement answered (lowest id) when
    `overpay_one` and no overpayment exists yet is overpaid by 25.00 (its refund item follows).
    Plus a front-desk copay (25.00, card) for each visit of `today` whose patient has
    coverage, at most 20 a day. Deterministic for a seed; the import step posts them."""
    statements = rows("demo_statements_to_answer", conn, {"today": today}).fetchall()
    overpaid = rows("demo_overpaid_exists", conn).fetchone().found
    out = {"full": 0, "partial": 0, "none": 0, "overpaid": 0, "desk": 0}
    for st in statements:
        sid, due, sdate = st.id, st.amount_due, st.statement_date
        guarantor_id, patient_id = st.guarantor_id, st.patient_id
        rnd = random.Random(f"{seed}:{sid}")
        draw = rnd.random()
        pay_day = min(today, sdate + dt.timedelta(days=rnd.randint(3, 20)))
        if pay_day > today or draw >= pay_full + pay_part:
            out["none"] += 1
            continue
        amount, kind = (due, "full") if draw < pay_full else ((due / 2).quantize(Decimal("0.01")), "partial")
        suffix = ""
        if kind == "full" and overpay_one and not overpaid:
            amount, suffix, overpaid = amount + Decimal("25.00"), "-OVER", True
            out["overpaid"] += 1
        if amount <= 0:
            continue
        rows("demo_insert_payment", conn, {
            "reference": f"ST{sid}-{kind.upper()}{suffix}", "guarantor_id": guarantor_id,
            "patient_id": None if guarantor_id else patient_id, "payment_date": pay_day, "amount": amount,
            "method": rnd.choice(["check", "card", "ach"])})
        out[kind] += 1
    desk = rows("demo_desk_copays", conn, {"today": today})
    out["desk"] = max(desk.rowcount, 0)
    conn.commit()
    return out
