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

from .errors import Finding
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
    # the heading segment and element naming the group an acknowledgment answers (999: AK1, AK102)
    response_group: tuple[str, int] | None = None
    # what the UI shows with a claim's loop: the hierarchical levels above it (837P subscriber and
    # patient, with their name loops) and the loops just before it in its level (277 patient name)
    claim_context_levels: tuple[str, ...] = ()
    claim_context_loops: tuple[str, ...] = ()

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
                "837.5010.X222.A1.xml", X222A1, ("2300",), 1, claim_context_levels=("2000B", "2000C")),
    Transaction("835", "835", "005010X221A1", "HP", "x835:parse_835", "x835:build_835", "835.5010.X221.A1.xml",
                X221A1, ("2100",), 1),
    Transaction("277CA", "277", "005010X214", "HN", "x277ca:parse_277ca", "x277ca:build_277ca", "277.5010.X214.xml",
                X214, ("2200D",), 2, claim_context_loops=("2100D",)),
    Transaction("999", "999", "005010X231A1", "FA", "x999:parse_999", "x999:build_999", "999.5010X231.A1.xml", X231A1,
                response_loop="2000", response_key_element=2, response_group=("AK1", 2)),
    Transaction("270", "270", "005010X279A1", "HS", "x270:parse_270", "x270:build_270", None, X279A1_270),
    Transaction("271", "271", "005010X279A1", "HB", "x271:parse_271", "x271:build_271", None, X279A1_271),
    Transaction("276", "276", "005010X212", "HR", "x276:parse_276", "x276:build_276", None, X212_276),
    Transaction("277", "277", "005010X212", "HN", "x277:parse_277", "x277:build_277", None, X212,
                ("2200D", "2200E"), 2, claim_context_loops=("2100D", "2100E")),
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


def _hl_levels(schema: Schema | None) -> frozenset:
    return frozenset(q for lp in (schema.loops if schema else ()) if lp.trigger == "HL" for q in lp.qualifiers)


_TYPE_ENTRIES: dict[str, list[Transaction]] = {}
for _t in TRANSACTIONS:
    _TYPE_ENTRIES.setdefault(_t.type, []).append(_t)
_LEVELS = {_t.name: _hl_levels(_t.schema) for _t in TRANSACTIONS}


def read_as(t: TransactionSet, name: str | None = None) -> tuple[Transaction | None, Finding | None]:
    """The entry a transaction set is read with, and a finding when its version had to be guessed.

    ``lookup(ST01, version)`` when the version is one of ours. Otherwise, when its ST01 has several
    entries (277: 277CA X214 and 277 X212, whose hierarchical levels differ), the one whose loop
    schema knows the most of the set's HL levels (HL03; the first entry on a tie), with a
    ``version_unknown`` warning: read by the first entry alone, a 277's subscriber-level claims
    would have no place. Otherwise ``entry_for`` (837I read as 837P, as always), no finding."""
    entry = lookup(t.type, t.version)
    if entry is not None:
        return entry, None
    entries = _TYPE_ENTRIES.get(t.type, ())
    if len(entries) < 2:
        return entry_for(t.type, t.version), None
    codes = {s.el(3) for s in t.segments if s.tag == "HL"}
    best = max(entries, key=lambda e: len(codes & _LEVELS[e.name]))
    header = t.header
    return best, Finding("warning", "version_unknown",
                         f"{t.type} version {t.version!r} is not one we know; read as {best.name} ({best.version}),"
                         f" whose levels fit its HL levels {sorted(codes)}",
                         "ST", getattr(header, "index", None), "ST03", name)


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
    its transaction type's schema (``read_as``: a 277 by its HL levels). Reads the whole file first, so a file that is
    not X12 raises X12Error even when the claim comes before the damage."""
    sets = list(iter_transactions(data))
    key = None if control_number is None else str(control_number).lstrip("0")
    for t in sets:
        entry, _ = read_as(t)
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


@dataclass(frozen=True)
class ClaimPlace:
    """Where one claim's loop sits in a file, in bytes: for the UI, which then reads only those."""

    key: object                            # the claim id; for an acknowledgment (group, set) control numbers
    header_offset: int                     # its interchange's ISA
    ranges: tuple[tuple[int, int], ...]    # (offset, length) in file order, contiguous ones merged


def _ctl(v: str) -> int | None:
    v = (v or "").strip()
    return int(v) if v.isdigit() else None


def claim_places(data) -> list[ClaimPlace]:
    """Every claim loop of a file (bytes, path or binary file) and where it sits, from the loop
    schema, one transaction set at a time: 837P 2300 with its subscriber and patient levels (the
    2000B/2000C segments and name loops before their first child level or claim), 835 2100 with
    its service lines, 277CA/277 2200D/E with the patient's name loop just before it, and the 999
    2000 loop answering each transaction set (key: (AK102, AK202) as integers). A loop ends where
    the next segment starts (its line break included). Raises X12Error when the file is not X12."""
    out: list[ClaimPlace] = []
    for t in iter_transactions(data):
        entry, _ = read_as(t)
        if entry is not None and entry.schema is not None and (entry.claim_loops or entry.response_loop) \
                and t.segments:
            out += _places(t, entry)
    return out


def _places(t: TransactionSet, entry: Transaction) -> list[ClaimPlace]:
    out: list[ClaimPlace] = []
    isa = t.group.interchange.header.offset if t.group is not None and t.group.interchange is not None else 0
    segs = t.segments
    nxt = {s.index: segs[k + 1].offset for k, s in enumerate(segs[:-1])}
    nxt[segs[-1].index] = t.trailer.offset if t.trailer is not None else segs[-1].offset + len(segs[-1].to_text())

    def span(group: list) -> tuple[int, int]:
        first = min(group, key=_index)
        return first.offset, nxt[max(group, key=_index).index] - first.offset

    root, _ = read_loops(segs, entry.schema)
    if entry.response_loop is not None:
        group = None
        if entry.response_group is not None:
            tag, el = entry.response_group
            group = next((_ctl(s.el(el)) for s in root.segments if s.tag == tag), None)
        for node in root.find(entry.response_loop):
            key = (group, _ctl(node.segments[0].el(entry.response_key_element)))
            out.append(ClaimPlace(key, isa, (span(node.all_segments()),)))
        return out
    levels = set(entry.claim_context_levels)
    inner = set(entry.claim_loops) | levels | set(entry.claim_context_loops)

    def walk(node, context: list) -> None:
        before: list = []               # the context loop just before, among this node's children
        for child in node.children:
            if child.loop in entry.claim_loops:
                ranges = [*context, *(span(b.all_segments()) for b in before), span(child.all_segments())]
                out.append(ClaimPlace(child.segments[0].el(entry.claim_id_element), isa, _merged(ranges)))
                before = []
            elif child.loop in levels:
                own = child.segments + [x for c in child.children if c.loop not in inner for x in c.all_segments()]
                walk(child, [*context, span(own)])
            elif child.loop in entry.claim_context_loops:
                before = [child]
            else:
                walk(child, context)

    walk(root, [])
    return out


def _index(s) -> int:
    return s.index


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for off, n in sorted(ranges):
        if out and out[-1][0] + out[-1][1] == off:
            out[-1] = (out[-1][0], out[-1][1] + n)
        else:
            out.append((off, n))
    return tuple(out)


def acknowledgment_facts(data, claim_id: str, *, status_response: bool) -> dict:
    """What proves a payer or clearinghouse received a claim, from an acknowledgment file (999,
    277CA, 277): ``interchange_control_number`` (ISA13 of the last interchange),
    ``group_control_number`` (GS06 of the last group), ``date`` (the first GS04, CCYYMMDD),
    ``transaction_control_number`` (the first ST02); with ``status_response`` also ``received``
    (DTP*050, the payer's receipt date) and ``status`` (the first STC01 of the claim's TRN loop).
    Keys are absent when the file does not carry them."""
    facts: dict = {}
    in_claim = False
    for s in iter_segments(data):
        tag = s.tag
        if tag == "ISA":
            facts["interchange_control_number"] = s.el(13)
        elif tag == "GS":
            facts["group_control_number"] = s.el(6)
            facts.setdefault("date", s.el(4))
        elif tag == "ST":
            facts.setdefault("transaction_control_number", s.el(2))
        elif not status_response:
            continue
        elif tag == "DTP" and s.el(1) == "050":
            facts["received"] = s.el(3)
        elif tag == "TRN":
            in_claim = s.el(2) == claim_id
        elif tag == "STC" and in_claim and "status" not in facts:
            facts["status"] = s.el(1)
    return facts


def first_group_date(data) -> str:
    """GS04 (CCYYMMDD) of a file's first functional group; "" when it has none."""
    for s in iter_segments(data):
        if s.tag == "GS":
            return s.el(4)
    return ""


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


__all__ = ["Transaction", "TRANSACTIONS", "BY_NAME", "VERSION_ALIASES", "identify", "first_transaction_id", "lookup", "entry_for", "read_as", "claim_segments",
           "claim_slice", "claim_places", "ClaimPlace",
           "acknowledgment_facts", "first_group_date"]
