"""Small helpers shared by the transaction modules."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Iterator

from .errors import X12Error
from .reader import Segment, TransactionSet, iter_transactions
from .writer import fmt_amount

ZERO = Decimal(0)


def transactions(source, types: Iterable[str], name: str | None = None) -> Iterator[TransactionSet]:
    """A TransactionSet itself, or every transaction set of ``types`` in a source."""
    types = set(types)
    if isinstance(source, TransactionSet):
        yield source
        return
    if isinstance(source, (list, tuple)) and source and isinstance(source[0], TransactionSet):
        yield from source
        return
    # streaming: one transaction set in memory at a time
    for t in iter_transactions(source, name):
        if t.type in types:
            yield t


def dec(v: str, seg: Segment | None = None, default=None):
    if v is None or v == "":
        return default
    try:
        d = Decimal(v)
    except (InvalidOperation, ValueError):
        d = None
    if d is None or not d.is_finite():
        raise X12Error(f"{seg.tag if seg else ''}: not a number: {v[:20]!r}",
                       segment_index=seg.index if seg else None, offset=seg.offset if seg else None)
    return d


MAX_AMOUNT = Decimal("9999999999.99")    # what NUMERIC(12,2) holds; no remittance comes near it
CENT = Decimal("0.01")


def amount(seg: Segment, n: int, default=None):
    """A money element (X12 type R, two decimals at most): in range for the ledger's NUMERIC(12,2)
    and no fraction of a cent; otherwise an X12Error naming the segment and element, so the file is
    quarantined instead of failing at the database (or worse, rounding money)."""
    v = seg.el(n)
    where = f"{seg.tag}{n:02d}"
    try:
        d = dec(v, seg, default)
    except X12Error:
        raise X12Error(f"{where}: not an amount: {v[:24]!r}", segment_index=seg.index, offset=seg.offset) from None
    if d is None or d is default:
        return d
    if abs(d) > MAX_AMOUNT:
        raise X12Error(f"{where}: amount {v[:24]!r} is out of range (largest accepted {MAX_AMOUNT})",
                       segment_index=seg.index, offset=seg.offset)
    if d != d.quantize(CENT):
        raise X12Error(f"{where}: amount {v[:24]!r} has a fraction of a cent",
                       segment_index=seg.index, offset=seg.offset)
    return d


def date8(v: str):
    """CCYYMMDD (or the first date of a CCYYMMDD-CCYYMMDD range) → date, None if unreadable."""
    if not v:
        return None
    v = v.split("-")[0]
    if len(v) == 6:
        v = "20" + v
    try:
        return dt.date(int(v[0:4]), int(v[4:6]), int(v[6:8]))
    except (ValueError, IndexError):
        return None


def date_range(qual: str, v: str):
    """(start, end) from a D8/RD8 value."""
    if qual == "RD8" and "-" in v:
        a, b = v.split("-", 1)
        return date8(a), date8(b)
    d = date8(v)
    return d, d


def money(v) -> str:
    return fmt_amount(Decimal(v))


def m2(v) -> str | None:
    """Money as a string with two decimals (JSON output)."""
    return None if v is None else f"{Decimal(v):.2f}"


@dataclass
class Adjustment:
    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    def to_dict(self):
        return {"group": self.group, "reason": self.reason, "amount": m2(self.amount),
                "quantity": None if self.quantity is None else str(self.quantity)}


def cas_items(s: Segment) -> list[tuple]:
    """The one reading of a CAS segment: (group, reason, amount, quantity or None) per filled triplet;
    amounts are checked as money (``amount``), quantities as numbers."""
    out = []
    g = s.el(1)
    for k in range(2, 19, 3):
        r = s.el(k)
        if r:
            out.append((g, r, amount(s, k + 1, ZERO), dec(s.el(k + 2), s)))
    return out


def parse_cas(s: Segment) -> list[Adjustment]:
    return [Adjustment(*item) for item in cas_items(s)]


def cas_segments(adjustments: Iterable) -> list[list]:
    """CAS segments: one per group code, at most 6 triplets each."""
    by_group: dict[str, list] = {}
    for a in adjustments:
        if isinstance(a, Adjustment):
            g, r, amt, q = a.group, a.reason, a.amount, a.quantity
        else:
            g, r, amt = a[:3]
            q = a[3] if len(a) > 3 else None
        by_group.setdefault(g, []).append((r, amt, q))
    out = []
    for g, items in by_group.items():
        for i in range(0, len(items), 6):
            seg = ["CAS", g]
            for r, amt, q in items[i:i + 6]:
                seg += [r, money(amt), "" if q is None else fmt_amount(q)]
            out.append(seg)
    return out


def name_of(s: Segment) -> str:
    """NM1 name as 'LAST, FIRST M' or the organization name."""
    if s.el(2) == "1":
        first = " ".join(x for x in (s.el(4), s.el(5)) if x)
        return f"{s.el(3)}, {first}" if first else s.el(3)
    return s.el(3)
