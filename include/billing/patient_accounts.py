"""Patient accounts: guarantors, patient payments, credit balances and refunds.

The rules (docs/patient_accounts.md has them with their sources and judgments):

- Every patient has a guarantor: the PM's `pm.guarantors` row, or the patient themself
  (`billing.patient_guarantors`, key 'P' + patient id). Statements, payments and holds are
  keyed by the guarantor key (the account number printed on statements and in lockbox files).
- A visit's patient responsibility is what insurance adjudication finally left to the patient
  (include.billing.accounts: the last payer's CLP05); a self-pay visit (no claim because the
  policy is self-pay) owes its charges. Only visits whose insurance is finished are billed.
- Payments post exactly once per (source, reference). A payment naming a visit goes to that
  visit first; the rest (or a payment naming none) goes to the guarantor's oldest open
  balances, finished visits only; what is left is a credit balance with a refund work item.
  A payment naming a visit whose insurance is not finished yet (a time-of-service copay) is
  held on that visit in full.
- Lockbox CSV (docs/lockbox.md): the file is stored (sha256) before any row is applied; every
  row is checked; good rows post, bad rows are listed with their line number and reason on
  the file and in one work item naming the file and the lines.

No Airflow here; no PHI in logs or return values (counts and ids only).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .accounts import load_accounts
from .ledger import DUE_SOON, open_work_item, work_item_id
from .ledger.patient_payments import (
                                      apply_patient_payment,
                                      record_credit_balance,
                                      record_patient_payment,
)
from .ledger.patient_payments import record_refund as ledger_record_refund
from .rcm_sql import run

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")        # what NUMERIC(12,2) holds
METHODS = ("cash", "check", "card", "ach", "other")
LOCKBOX_COLUMNS = ("reference", "account_number", "visit_number", "payment_date", "amount", "method")
SOURCE = "patient_accounts"


def rows(name: str, conn, params=None):
    """A query of include/sql/queries/patient/, its rows named."""
    return run(conn, "patient", name, params)


# --------------------------------------------------------------------------- visit balances

@dataclass
class VisitBalance:
    """One visit of a guarantor as a statement line shows it."""

    visit_id: int
    visit_number: str
    patient_id: int
    guarantor_key: str
    date_of_service: dt.date
    provider: str | None
    services: str
    charges: Decimal
    insurance_paid: Decimal = ZERO
    adjustments: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    patient_paid: Decimal = ZERO
    pending_insurance: Decimal = ZERO
    finished: bool = False
    claim_id: int | None = None               # the claim payments are entered on (None: self-pay)

    @property
    def balance(self) -> Decimal:
        return self.patient_responsibility - self.patient_paid


def visit_balances(conn, keys: list[str] | None = None, *, as_of: dt.date | None = None) -> list[VisitBalance]:
    """Every completed visit of the given guarantors (all when None) with its patient balance,
    counting patient payments dated on or before `as_of` (all when None). Visits with neither a
    claim nor a self-pay bill (not billed yet, or skipped for want of a policy) are left out."""
    out: dict[int, VisitBalance] = {}
    claim_visits = []
    for r in rows("guarantor_visits", conn, {"keys": keys}).fetchall():
        if not r.has_claim and r.self_pay_owed is None:
            continue
        vb = VisitBalance(r.visit_id, r.visit_number, r.patient_id, r.guarantor_key, r.date_of_service, r.provider,
                          r.services, r.charges)
        if r.has_claim:
            claim_visits.append(r.visit_id)
        else:
            vb.patient_responsibility, vb.finished = r.self_pay_owed, True
        out[r.visit_id] = vb
    if claim_visits:
        for a in load_accounts(conn, claim_visits):
            vb = out[a.visit_id]
            vb.charges, vb.insurance_paid = a.charge, a.insurance_paid
            vb.adjustments, vb.patient_responsibility = a.contractual_adjustments, a.patient_responsibility
            vb.pending_insurance, vb.finished = a.pending_insurance, a.finished
            vb.claim_id = a.responsible_claim_id or (a.claims[0].claim_id if a.claims else None)
    if out:
        for r in rows("applied_by_visit", conn, {"visit_ids": list(out),
                                                  "as_of": as_of or dt.date(9999, 12, 31)}).fetchall():
            out[r.visit_id].patient_paid = r.applied
    return list(out.values())


# --------------------------------------------------------------------------- work items and events

def open_item(conn, *, reason_code: str, explanation: str, dedupe_key: str, details: dict | None = None,
              visit_id: int | None = None, due: dt.date | None = None) -> int:
    """A work item with no claim (a guarantor, a file); returns its id (the existing one when known)."""
    open_work_item(conn, visit_id=visit_id, source=SOURCE, reason_code=reason_code, explanation=explanation,
                   details=details, dedupe_key=dedupe_key, due_date=due or DUE_SOON)
    return work_item_id(conn, dedupe_key)


def record_event(conn, key: str, event_type: str, actor: str, detail: dict | None = None,
                 dedupe_key: str | None = None) -> None:
    rows("guarantor_event", conn, {"key": key, "event_type": event_type, "actor": actor,
                                        "detail": json.dumps(detail or {}, default=str), "dedupe_key": dedupe_key})


# --------------------------------------------------------------------------- posting payments

@dataclass(frozen=True)
class Payment:
    source: str                 # pm | lockbox
    reference: str
    guarantor_key: str
    payment_date: dt.date
    amount: Decimal
    method: str
    visit_id: int | None = None
    lockbox_file_id: int | None = None
    lockbox_line: int | None = None


def post_payment(conn, p: Payment, *, actor: str) -> dict | None:
    """Post one payment and apply it (see the module docstring). None when it was posted before.

    Runs in the caller's transaction; one guarantor's payments are applied one at a time."""
    if p.amount <= 0:
        raise ValueError("a patient payment must be positive")
    # inline on purpose: an advisory lock, no table; one guarantor's payments apply one at a time
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('patient_account:' || %s))", (p.guarantor_key,))
    payment_id = record_patient_payment(
        conn, source=p.source, reference=p.reference, guarantor_key=p.guarantor_key, visit_id=p.visit_id,
        payment_date=p.payment_date, amount=p.amount, method=p.method, lockbox_file_id=p.lockbox_file_id,
        lockbox_line=p.lockbox_line, actor=actor)
    if payment_id is None:
        return None
    visits = visit_balances(conn, [p.guarantor_key])
    named = next((v for v in visits if v.visit_id == p.visit_id), None)
    plan: list[tuple[VisitBalance, Decimal]] = []
    left = p.amount
    if named is not None and not named.finished:
        plan.append((named, left))                 # a time-of-service payment: held on its visit
        left = ZERO
    elif named is not None and named.balance > 0:
        take = min(left, named.balance)
        plan.append((named, take))
        left -= take
    # then the oldest open balances (finished visits only), by date of service
    for v in sorted(visits, key=lambda v: (v.date_of_service, v.visit_number)):
        if left <= 0:
            break
        if v is named or not v.finished or v.balance <= 0:
            continue
        take = min(left, v.balance)
        plan.append((v, take))
        left -= take
    for v, amount in plan:
        apply_patient_payment(conn, payment_id=payment_id, patient_id=v.patient_id, visit_id=v.visit_id,
                              claim_id=v.claim_id, amount=amount)
    credit = None
    if left > 0:
        item = open_item(
            conn, reason_code="PATIENT_REFUND",
            explanation=(f"A patient payment (reference {p.reference}) is more than the account owes: "
                         f"{left} is a credit balance. Refund it to the guarantor, or apply it when the "
                         f"guarantor asks."),
            dedupe_key=f"PATIENT_REFUND:payment:{payment_id}",
            details={"guarantor_key": p.guarantor_key, "payment_id": payment_id, "credit": str(left)})
        credit = record_credit_balance(conn, payment_id=payment_id, guarantor_key=p.guarantor_key, amount=left,
                                       work_item_id=item)
        record_event(conn, p.guarantor_key, "credit_balance", actor,
                     {"payment_id": payment_id, "credit_balance_id": credit, "amount": str(left)},
                     f"credit:{payment_id}")
    return {"payment_id": payment_id, "applied": str(p.amount - left), "credit": str(left),
            "visits": len(plan), "credit_balance_id": credit}


def record_refund(conn, credit_balance_id: int, *, method: str, reference: str | None, refunded_on: dt.date,
                  actor: str) -> int | None:
    """The credit balance was refunded: record it, close the credit and its work item (once)."""
    refund = ledger_record_refund(conn, credit_balance_id, method=method, reference=reference,
                                  refunded_on=refunded_on, actor=actor)
    if refund is None:
        return None
    record_event(conn, refund.guarantor_key, "refund", actor, {"credit_balance_id": credit_balance_id,
                                                               "refund_id": refund.id, "amount": str(refund.amount)},
                 f"refund:{credit_balance_id}")
    return refund.id


def post_pm_payments(conn, *, actor: str) -> dict:
    """Post every PM-recorded payment (pm.patient_payments) not posted yet. Commits."""
    posted = credits = 0
    for r in rows("pm_payments_to_post", conn).fetchall():
        with conn.transaction():
            out = post_payment(conn, Payment("pm", r.reference, r.guarantor_key, r.payment_date, r.amount, r.method,
                                             r.visit_id), actor=actor)
        if out:
            posted += 1
            credits += Decimal(out["credit"]) > 0
    conn.commit()
    return {"posted": posted, "credit_balances": credits}


# --------------------------------------------------------------------------- lockbox files

def store_lockbox_file(conn, name: str, content: bytes, *, origin: str) -> int | None:
    """Store a lockbox file (its bytes and sha256); None when the same bytes were stored before."""
    row = rows("store_lockbox_file", conn, {
        "file_name": name, "sha256": hashlib.sha256(content).hexdigest(), "content": content,
        "origin": origin}).fetchone()
    return row.id if row else None


@dataclass
class RowError:
    line: int
    reason: str

    def to_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason}


def _parse_amount(text: str) -> tuple[Decimal | None, str | None]:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, "amount is not a number"
    if not value.is_finite():
        return None, "amount is not a number"
    if value <= 0:
        return None, "amount must be greater than zero"
    if value != value.quantize(CENT):
        return None, "amount has a fraction of a cent"
    if value > MAX_AMOUNT:
        return None, "amount is too large"
    return value.quantize(CENT), None


def parse_lockbox(conn, content: bytes, *, today: dt.date) -> tuple[list[tuple[int, Payment]], list[RowError]]:
    """The rows of a lockbox CSV as payments, and one error per bad row (line numbers count the
    header as line 1). A file whose header is wrong is one error on line 1 and no rows."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(1, "the file is not UTF-8 text")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [RowError(1, "the file is empty")]
    except csv.Error as exc:
        return [], [RowError(1, f"not a CSV header: {exc}")]
    if tuple(header) != LOCKBOX_COLUMNS:
        return [], [RowError(1, "the header must be: " + ",".join(LOCKBOX_COLUMNS))]
    good: list[tuple[int, Payment]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, f"the row is not valid CSV: {exc}"))
            break
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(LOCKBOX_COLUMNS):
            errors.append(RowError(line, f"{len(row)} columns, expected {len(LOCKBOX_COLUMNS)}"))
            continue
        reference, account, visit_number, date_text, amount_text, method = (c.strip() for c in row)
        problems = []
        if not reference:
            problems.append("reference is missing")
        elif len(reference) > 50:
            problems.append("reference is longer than 50 characters")
        elif reference in seen:
            problems.append(f"reference repeats line {seen[reference]}")
        try:
            pay_date = dt.date.fromisoformat(date_text)
            if pay_date > today:
                problems.append("payment_date is in the future")
        except ValueError:
            pay_date = None
            problems.append("payment_date is not a date (YYYY-MM-DD)")
        amount, why = _parse_amount(amount_text)
        if why:
            problems.append(why)
        if method.lower() not in METHODS:
            problems.append("method must be one of " + ", ".join(METHODS))
        visit_id = None
        if not account:
            problems.append("account_number is missing")
        elif not rows("guarantor_exists", conn, {"key": account}).fetchone().known:
            problems.append("account_number is not a known guarantor")
        elif visit_number:
            found = rows("visit_guarantor", conn, {"visit_number": visit_number}).fetchone()
            if found is None:
                problems.append("visit_number is not a known visit")
            elif found.guarantor_key != account:
                problems.append("visit_number belongs to another account")
            else:
                visit_id = found.visit_id
        if reference and reference not in seen:
            seen[reference] = line
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        good.append((line, Payment("lockbox", reference, account, pay_date, amount, method.lower(), visit_id)))
    return good, errors


def apply_lockbox_files(conn, *, actor: str, today: dt.date) -> dict:
    """Apply every stored lockbox file: good rows post, bad rows are recorded on the file and
    listed in one work item (LOCKBOX_BAD_ROWS) naming the file and the lines. Commits per file."""
    conn.commit()
    files = rows("lockbox_files_to_apply", conn).fetchall()
    out = {"files": 0, "rows_posted": 0, "rows_rejected": 0, "credit_balances": 0}
    for f in files:
        file_id, name, content = f.id, f.file_name, f.content
        with conn.transaction():
            good, errors = parse_lockbox(conn, bytes(content), today=today)
            posted = 0
            for line, p in good:
                p = Payment(p.source, p.reference, p.guarantor_key, p.payment_date, p.amount, p.method,
                            p.visit_id, file_id, line)
                res = post_payment(conn, p, actor=actor)
                if res:
                    posted += 1
                    out["credit_balances"] += Decimal(res["credit"]) > 0
            state = "applied" if not errors else ("rejected" if not good else "applied_with_errors")
            if errors:
                lines = ", ".join(str(e.line) for e in errors)
                open_item(conn, reason_code="LOCKBOX_BAD_ROWS",
                          explanation=(f"Lockbox file {name} (id {file_id}): {len(errors)} row(s) not posted, "
                                       f"line(s) {lines}. "
                                       + " ".join(f"Line {e.line}: {e.reason}." for e in errors[:20])),
                          dedupe_key=f"LOCKBOX_BAD_ROWS:file:{file_id}",
                          details={"lockbox_file_id": int(file_id), "file_name": name,
                                   "errors": [e.to_dict() for e in errors]})
            rows("finish_lockbox_file", conn, {"id": file_id, "state": state, "rows_posted": posted,
                                                    "errors": json.dumps([e.to_dict() for e in errors])})
        out["files"] += 1
        out["rows_posted"] += posted
        out["rows_rejected"] += len(errors)
        log.info("lockbox file %s: %d row(s) posted, %d rejected", file_id, posted, len(errors))
    conn.commit()
    return out


def collect_lockbox_folder(conn, folder: Path, *, origin: str = "folder") -> dict:
    """Store every *.csv in `folder` (committed), then move it to folder/done (stored first)."""
    folder = Path(folder)
    done = folder / "done"
    stored = seen = 0
    for path in sorted(folder.glob("*.csv")):
        seen += 1
        if store_lockbox_file(conn, path.name, path.read_bytes(), origin=origin) is not None:
            stored += 1
        conn.commit()
        done.mkdir(mode=0o700, exist_ok=True)
        os.replace(path, done / path.name)
    return {"files_seen": seen, "files_stored": stored}


def collect_lockbox_remote(conn, remote, folder: str, *, archive: str | None = None) -> dict:
    """Store every *.csv in a remote folder (include.billing.transport.RemoteFiles); a stored file
    is moved to `archive` when given (stored and committed first, so a crash loses nothing)."""
    import posixpath

    stored = seen = 0
    if remote.size(folder) is None:              # no lockbox folder on this server: nothing to fetch
        return {"files_seen": 0, "files_stored": 0}
    if archive and remote.size(archive) is None:
        archive = None
    for name in remote.listdir(folder):
        if not name.endswith(".csv"):
            continue
        seen += 1
        path = posixpath.join(folder, name)
        if store_lockbox_file(conn, name, remote.read(path), origin="sftp") is not None:
            stored += 1
        conn.commit()
        if archive:
            remote.rename(path, posixpath.join(archive, name))
    return {"files_seen": seen, "files_stored": stored}


def import_payments(conn, *, actor: str, today: dt.date, lockbox_folder: Path | None = None,
                    remote=None, remote_folder: str = "lockbox", remote_archive: str | None = None) -> dict:
    """The import step: PM payments, lockbox files from a folder and a remote mailbox, applied."""
    out = {"pm": post_pm_payments(conn, actor=actor)}
    if lockbox_folder is not None and Path(lockbox_folder).is_dir():
        out["folder"] = collect_lockbox_folder(conn, lockbox_folder)
    if remote is not None:
        out["remote"] = collect_lockbox_remote(conn, remote, remote_folder, archive=remote_archive)
    out["lockbox"] = apply_lockbox_files(conn, actor=actor, today=today)
    return out


# --------------------------------------------------------------------------- statement holds

def place_statement_hold(conn, guarantor_key: str, reason: str, *, actor: str) -> int | None:
    """Stop statements to a guarantor (a dispute, a payment plan ...). None when already held."""
    row = rows("place_hold", conn, {"key": guarantor_key, "reason": reason, "actor": actor}).fetchone()
    if row is None:
        return None
    record_event(conn, guarantor_key, "statement_hold_placed", actor, {"hold_id": row.id, "reason": reason})
    return row.id


def release_statement_hold(conn, guarantor_key: str, *, actor: str) -> int | None:
    row = rows("release_hold", conn, {"key": guarantor_key, "actor": actor}).fetchone()
    if row is None:
        return None
    record_event(conn, guarantor_key, "statement_hold_released", actor, {"hold_id": row.id, "reason": row.reason})
    return row.id


# --------------------------------------------------------------------------- a guarantor's account

def guarantor_of_visit(conn, visit_id: int) -> str | None:
    row = rows("guarantor_of_visit", conn, {"visit_id": visit_id}).fetchone()
    return row.guarantor_key if row else None


def guarantor_account(conn, guarantor_key: str) -> dict:
    """A guarantor's account for the Billing UI: balance, visits, statements, payments, credits,
    the open hold and the audit trail. Holds PHI-adjacent data: for an authorised page, never logs."""
    visits = sorted(visit_balances(conn, [guarantor_key]), key=lambda v: (v.date_of_service, v.visit_number))
    hold = rows("open_hold", conn, {"key": guarantor_key}).fetchone()
    return {
        "guarantor_key": guarantor_key,
        "balance_due": sum((v.balance for v in visits if v.finished), ZERO),
        "visits": [{"visit_number": v.visit_number, "date_of_service": v.date_of_service,
                    "patient_responsibility": v.patient_responsibility, "patient_paid": v.patient_paid,
                    "balance": v.balance if v.finished else ZERO, "insurance_pending": not v.finished}
                   for v in visits],
        "statements": [r._asdict() for r in rows("account_statements", conn, {"key": guarantor_key}).fetchall()],
        "payments": [r._asdict() for r in rows("account_payments", conn, {"key": guarantor_key}).fetchall()],
        "credits": [r._asdict() for r in rows("account_credits", conn, {"key": guarantor_key}).fetchall()],
        "hold": hold._asdict() if hold else None,
        "events": [r._asdict() for r in rows("account_events", conn, {"key": guarantor_key}).fetchall()],
    }


GUARANTOR_CHECKS = {
    "DQ_GUARANTOR_MINOR": "A patient under 18 is their own guarantor: record the parent or guardian "
                          "responsible for the bills.",
    "DQ_GUARANTOR_ADDRESS": "The guarantor's mailing address is incomplete or its ZIP is not 5 or 9 digits: "
                            "statements cannot be mailed.",
    "DQ_GUARANTOR_EMAIL": "The guarantor's e-mail address is not valid: no statement notice can be sent.",
    "DQ_GUARANTOR_RELATIONSHIP": "The patient's relationship to the guarantor does not match: 'self' needs no "
                                 "guarantor record, 'parent' or 'other' needs one.",
}


def check_guarantors(conn, *, today: dt.date) -> dict:
    """Data-quality checks on guarantors (queries/patient/guarantor_problems.sql): one work item
    per finding, named by patient id or guarantor number only. Returns counts by reason."""
    counts: dict[str, int] = {}
    for r in rows("guarantor_problems", conn, {"today": today}).fetchall():
        open_item(conn, reason_code=r.reason, explanation=f"{GUARANTOR_CHECKS[r.reason]} ({r.kind} {r.ref})",
                  dedupe_key=f"{r.reason}:{r.kind}:{r.ref}", details={r.kind: r.ref})
        counts[r.reason] = counts.get(r.reason, 0) + 1
    return counts
