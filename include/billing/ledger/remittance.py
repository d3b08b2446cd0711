"""Recording a remittance's money: the one writer of billing.claim_payments, line_payments,
adjustments, provider_adjustments, and of the patient-ledger entries posting moves
(tests/unit/architecture/test_ledger_writers.py checks the inserts).

Posting (include.billing.posting) matches an 835 and stages its rows in a `RemittanceRows`; these
functions write them set-based in the caller's transaction (the remittance's): one COPY per table,
parents before children, so every foreign key is checked as the rows arrive and a row that names
nothing makes the whole remittance roll back. The ids of claim and line payments are reserved up
front (`reserve_ids`) so that children can name their parents in the same pass.

COPY text is written here in one piece per chunk, not by psycopg's per-row, per-value dumpers
(they cost more than the server's work on 30,000 adjustment rows), and sent chunk by chunk so the
server inserts one chunk while the next is formatted. The SQL is in include/sql/queries/ledger/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Iterable, NamedTuple, Sequence

from include.billing.rcm_sql import query


class ClaimPaymentRow(NamedTuple):
    """One CLP: what the payer paid on one claim (negative amounts for a reversal, CLP02=22)."""
    id: int
    remittance_id: int
    clp_index: int
    claim_id: int
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_control_number: str | None
    is_reversal: bool
    reverses_payment_id: int | None


class LinePaymentRow(NamedTuple):
    """One SVC of a CLP, with the claim line it answers (None when none matched)."""
    id: int
    claim_payment_id: int
    svc_index: int
    claim_line_id: int | None
    procedure_code: str
    charge: Decimal
    paid: Decimal
    allowed: Decimal | None
    units: Decimal | None


class AdjustmentRow(NamedTuple):
    """One CAS amount of a CLP (line_payment_id None) or of an SVC, with its RARCs."""
    claim_payment_id: int
    line_payment_id: int | None
    position: int
    group_code: str
    reason_code: str
    amount: Decimal
    quantity: Decimal | None
    remark_codes: list[str]


class ProviderAdjustmentRow(NamedTuple):
    """One PLB amount, and how posting applied it."""
    remittance_id: int
    position: int
    provider_identifier: str | None
    fiscal_period_date: dt.date | None
    reason_code: str
    reference: str | None
    amount: Decimal
    applied_as: str
    claim_id: int | None
    nets_adjustment_id: int | None


class PatientEntryRow(NamedTuple):
    """A patient-ledger delta from an adjudication; `source_key` is unique: the same one twice is refused."""
    patient_id: int
    claim_id: int | None
    entry_type: str
    category: str | None
    amount: Decimal
    source_key: str


@dataclass
class RemittanceRows:
    """The staged payment rows of one remittance, in 835 order.

    `claim_payments` may be an iterator: it is consumed first, chunk by chunk while the server
    inserts the chunk before, and `line_payments` and `adjustments` are read only after it is
    exhausted, so a producer may fill them as it yields each claim payment (posting does: its
    per-claim work then overlaps the server's)."""
    claim_payments: Iterable[ClaimPaymentRow] = field(default_factory=list)
    line_payments: list[LinePaymentRow] = field(default_factory=list)
    adjustments: list[AdjustmentRow] = field(default_factory=list)


def reserve_ids(conn, table: str, n: int) -> list[int]:
    """`n` ids of billing.claim_payments or billing.line_payments, for rows staged before they are written."""
    if table not in ("claim_payments", "line_payments"):
        raise ValueError(table)
    if n == 0:
        return []
    return [r[0] for r in conn.execute(query("ledger", "reserve_ids"),
                                       {"sequence": f"billing.{table}_id_seq", "n": n}).fetchall()]


def record_payments(conn, rows: RemittanceRows) -> None:
    """The remittance's claim payments, line payments and adjustments (in that order: parents first)."""
    copy_rows(conn, query("ledger", "copy_claim_payments"), rows.claim_payments)
    copy_rows(conn, query("ledger", "copy_line_payments"), rows.line_payments)
    copy_rows(conn, query("ledger", "copy_adjustments"), rows.adjustments)


def record_provider_adjustments(conn, rows: Sequence[ProviderAdjustmentRow]) -> None:
    """The remittance's PLB amounts, as posting applied them."""
    copy_rows(conn, query("ledger", "copy_provider_adjustments"), rows)


def record_patient_entries(conn, rows: Sequence[PatientEntryRow | tuple]) -> None:
    """Patient-ledger deltas an adjudication moved (include.billing.accounts.ledger_deltas)."""
    copy_rows(conn, query("ledger", "copy_patient_ledger"), rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _pg_array(items) -> str:
    """A one-dimensional Postgres array literal (text elements quoted, so any code is safe)."""
    out = []
    for x in items:
        if x is None:
            out.append("NULL")
        elif type(x) is int:
            out.append(str(x))
        elif type(x) is str:
            out.append('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            raise TypeError(type(x))
    return "{" + ",".join(out) + "}"


def _text(v: str) -> str:
    return v.translate(_COPY_ESCAPES)


def _array(v) -> str:
    return _pg_array(v).translate(_COPY_ESCAPES)


# one formatter per Python type, as psycopg's text dumpers would write the value
_FORMAT = {type(None): lambda v: "\\N", str: _text, Decimal: str, int: str, bool: lambda v: "t" if v else "f",
           list: _array, tuple: _array, dt.date: dt.date.isoformat}
_CHUNK = 2_000   # rows formatted per write: the server inserts one chunk while the next is formatted


def copy_rows(conn, sql: str, rows: Iterable[Sequence]) -> None:
    """COPY `rows` (tuples in the statement's column order) with the COPY statement `sql`; an
    iterator is consumed a chunk at a time (nothing is written when it yields nothing)."""
    it = iter(rows)
    chunk = list(islice(it, _CHUNK))
    if not chunk:
        return
    encoding = conn.info.encoding
    fmt = _FORMAT
    with conn.cursor() as cur, cur.copy(sql) as cp:
        while chunk:
            try:
                data = "".join(["\t".join([fmt[type(v)](v) for v in row]) + "\n" for row in chunk])
            except (KeyError, TypeError):     # a type of its own (e.g. a subclass): psycopg's dumpers
                for row in chunk:
                    cp.write_row(row)
            else:
                cp.write(data.encode(encoding))
            chunk = list(islice(it, _CHUNK))
