"""Patient-side money: the one writer of billing.patient_payments, billing.payment_applications,
billing.credit_balances, billing.patient_refunds and the patient's own rows of
billing.patient_ledger (payments applied to a visit, self-pay charges).

Each write runs in the caller's transaction and happens once: a payment once per (source,
reference), an application once per (payment, visit), a credit once per payment, a refund once
per credit. Which visit a payment goes to is include.billing.patient_accounts' rule; this module
records what it decided. Amounts are Decimal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from include.billing.ledger.work import close_work_items
from include.billing.rcm_sql import run


@dataclass(frozen=True)
class Refund:
    id: int
    amount: Decimal
    guarantor_key: str


def record_patient_payment(conn, *, source: str, reference: str, guarantor_key: str, payment_date: dt.date,
                           amount: Decimal, method: str, actor: str, visit_id: int | None = None,
                           lockbox_file_id: int | None = None, lockbox_line: int | None = None) -> int | None:
    """Record a patient payment; returns its id, or None when (source, reference) was recorded before."""
    if amount <= 0:
        raise ValueError("a patient payment must be positive")
    row = run(conn, "ledger", "record_patient_payment", {
        "source": source, "reference": reference, "guarantor_key": guarantor_key, "visit_id": visit_id,
        "payment_date": payment_date, "amount": amount, "method": method,
        "lockbox_file_id": lockbox_file_id, "lockbox_line": lockbox_line, "actor": actor}).fetchone()
    return int(row.id) if row else None


def apply_patient_payment(conn, *, payment_id: int, patient_id: int, visit_id: int, claim_id: int | None,
                          amount: Decimal) -> None:
    """Apply part of a payment to a visit: a patient_payment ledger entry (negative, on the claim
    that set what the patient owes, or on the visit alone for self-pay) and its application row."""
    run(conn, "ledger", "apply_patient_payment", {"patient_id": patient_id, "claim_id": claim_id,
                                                   "visit_id": visit_id, "payment_id": payment_id, "amount": amount})


def record_credit_balance(conn, *, payment_id: int, guarantor_key: str, amount: Decimal,
                          work_item_id: int | None) -> int | None:
    """What a payment left after every open balance, owed back to the guarantor (its refund work
    item named); returns its id, None when the payment has a credit already."""
    row = run(conn, "ledger", "record_credit_balance", {"payment_id": payment_id, "guarantor_key": guarantor_key,
                                                        "amount": amount, "work_item_id": work_item_id}).fetchone()
    return int(row.id) if row else None


def record_refund(conn, credit_balance_id: int, *, method: str, reference: str | None, refunded_on: dt.date,
                  actor: str) -> Refund | None:
    """The credit balance was refunded: the refund recorded, the credit closed and its work item
    resolved (by `actor`). None when the credit is not open (refunded before)."""
    row = run(conn, "ledger", "record_refund", {"credit_id": credit_balance_id, "method": method,
                                                "reference": reference, "refunded_on": refunded_on,
                                                "actor": actor}).fetchone()
    if row is None:
        return None
    if row.work_item_id is not None:
        close_work_items(conn, resolution="resolved", actor=actor, ids=[row.work_item_id])
    return Refund(int(row.id), row.amount, row.guarantor_key)


def bill_self_pay_visits(conn) -> int:
    """Put every self-pay visit's charges on the patient ledger once; returns rows added."""
    return max(run(conn, "ledger", "bill_self_pay").rowcount, 0)
