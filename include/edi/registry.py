"""The transactions this toolkit reads and writes, in one table, and ``identify`` for a file.

Each entry names the transaction set id (ST01), the implementation guide version (GS08),
the functional identifier (GS01), its parse and build functions, the pyx12 map that
validates it (None where pyx12 has no 5010 map: 270/271 X279A1 and 276/277 X212 are checked
by ``validate.structural_findings``), and its loop schema where one is written as data.
Callers ask here instead of sniffing bytes or keeping their own version tables.

Parse/build functions are imported on first use, so looking a file up imports no parser.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from .reader import TransactionSet, iter_segments, iter_transactions
from .schema import X212, X212_276, X214, X221A1, X222A1, X231A1, X279A1_270, X279A1_271, Schema, read_loops

# versions read as another (an erratum that only changed the guide's text)
VERSION_ALIASES = {"005010X222A2": "005010X222A1"}


@dataclass(frozen=True)
class Transaction:
    name: str                     # "837P", "277CA"
    type: str                     # ST01
    version: str                  # GS08 / ST03
    functional_id: str            # GS01
    parse_ref: str                # "module:function", relative to include.edi
    build_ref: str
    pyx12_map: str | None
    schema: Schema | None = None
    # the loops that hold one claim, and the element that carries our claim id in their first segment
    claim_loops: tuple[str, ...] = ()
    claim_id_element: int = 0
    # an acknowledgment's loop that answers one transaction set, and the element of its first
    # segment that carries that set's ST02 (999: 2000 AK2, AK202)
    response_loop: str | None = None
    response_key_element: int = 0

    @property
    def parse(self) -> Callable:
        return _resolve(self.parse_ref)

    @property
    def build(self) -> Callable:
        return _resolve(self.build_ref)


def _resolve(ref: str) -> Callable:
    module, _, fn = ref.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), fn)


TRANSACTIONS: tuple[Transaction, ...] = (
    Transaction("837P", "837", "005010X222A1", "HC", "x837p:read_837p", "x837p:build_837p",
                "837.5010.X222.A1.xml", X222A1, ("2300",), 1),
    Transaction("835", "835", "005010X221A1", "HP", "x835:parse_835", "x835:build_835", "835.5010.X221.A1.xml",
                X221A1, ("2100",), 1),
    Transaction("277CA", "277", "005010X214", "HN", "x277ca:parse_277ca", "x277ca:build_277ca", "277.5010.X214.xml",
                X214, ("2200D",), 2),
    Transaction("999", "999", "005010X231A1", "FA", "x999:parse_999", "x999:build_999", "999.5010X231.A1.xml", X231A1,
                response_loop="2000", response_key_element=2),
    Transaction("270", "270", "005010X279A1", "HS", "x270:parse_270", "x270:build_270", None, X279A1_270),
    Transaction("271", "271", "005010X279A1", "HB", "x271:parse_271", "x271:build_271", None, X279A1_271),
    Transaction("276", "276", "005010X212", "HR", "x276:parse_276", "x276:build_276", None, X212_276),
    Transaction("277", "277", "005010X212", "HN", "x277:parse_277", "x277:build_277", None, X212,
                ("2200D", "2200E"), 2),
)

BY_NAME = {t.name: t for t in TRANSACTIONS}
_BY_KEY = {(t.type, t.version): t for t in TRANSACTIONS}
_BY_TYPE: dict[str, Transaction] = {}
for _t in TRANSACTIONS:
    _BY_TYPE.setdefault(_t.type, _t)


def lookup(st01: str, version: str) -> Transaction | None:
    """The entry for a transaction set id and guide version (errata read as their base version)."""
    return _BY_KEY.get((st01, VERSION_ALIASES.get(version, version)))


def entry_for(st01: str, version: str) -> Transaction | None:
    """``lookup``, else the first entry with that ST01: a guide version we have no entry for
    (837I, an older 835) read by the parser of its transaction type, as the CLI always has."""
    return lookup(st01, version) or _BY_TYPE.get(st01)


def claim_segments(t: TransactionSet, claim_id: str) -> list:
    """The segments of one claim's loop (with the loops inside it) in a transaction set: 837P 2300
    (CLM01), 835 2100 (CLP01), 277CA/277 2200D/E (TRN02); [] when the claim is not there or the
    transaction has no claim loop. For the UI and corrections: "the bytes of claim X"."""
    entry = identify(t)
    if entry is None or entry.schema is None or not entry.claim_loops:
        return []
    return _loop_segments(t, entry, entry.claim_loops, entry.claim_id_element, lambda v: v == claim_id)


def _loop_segments(t: TransactionSet, entry: Transaction, loops, element: int, match) -> list:
    root, _ = read_loops(t.segments, entry.schema)
    for node in root.walk():
        if node.loop in loops and match(node.segments[0].el(element)):
            return node.all_segments()
    return []


def claim_slice(data, claim_id: str, *, control_number: int | str | None = None) -> list:
    """The bytes of claim X in a whole file (bytes, a path or a binary file), as segments: the
    claim's loop (``claim_segments``) in the first transaction set that has it; for an
    acknowledgment (999), the loop answering transaction set ``control_number`` (ST02, leading
    zeros ignored). [] when the file has neither. A guide version without an entry is read with
    its transaction type's schema (``entry_for``). Reads the whole file first, so a file that is
    not X12 raises X12Error even when the claim comes before the damage."""
    sets = list(iter_transactions(data))
    key = None if control_number is None else str(control_number).lstrip("0")
    for t in sets:
        entry = entry_for(t.type, t.version)
        if entry is None or entry.schema is None:
            continue
        if entry.response_loop is not None:
            if key is None:
                continue
            segs = _loop_segments(t, entry, (entry.response_loop,), entry.response_key_element,
                                  lambda v: v.lstrip("0") == key)
        elif entry.claim_loops:
            segs = _loop_segments(t, entry, entry.claim_loops, entry.claim_id_element, lambda v: v == claim_id)
        else:
            continue
        if segs:
            return segs
    return []


def identify(data) -> Transaction | None:
    """The entry for the first transaction set of ``data`` (bytes, a path, a binary file or a
    TransactionSet), from its ST01 and GS08 (ST03 when GS08 is empty); None when the pair is not
    one of ours. Raises X12Error only when the input is not X12 at all."""
    if isinstance(data, TransactionSet):
        version = data.version or (data.group.version if data.group is not None else "")
        return lookup(data.type, version)
    gs08 = ""
    for s in iter_segments(data):
        if s.tag == "GS":
            gs08 = s.el(8)
        elif s.tag == "ST":
            return lookup(s.el(1), gs08 or s.el(3))
        elif s.index > 50:          # an interchange puts ST within its first few segments
            break
    return None


def first_transaction_id(data) -> str:
    """What an interchange carries first: "TA1" for an interchange acknowledgment, else the first
    ST01 ("" when there is none). For files ``identify`` has no entry for (TA1, 997, other guide
    versions). Raises X12Error only when the input is not X12 at all."""
    for s in iter_segments(data):
        if s.tag == "TA1":
            return "TA1"
        if s.tag == "ST":
            return s.el(1)
        if s.index > 50:
            break
    return ""


__all__ = ["Transaction", "TRANSACTIONS", "BY_NAME", "VERSION_ALIASES", "identify", "first_transaction_id", "lookup", "entry_for", "claim_segments",
           "claim_slice"]
