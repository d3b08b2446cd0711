"""Where each claim sits in a stored EDI file, so that the Billing UI reads and parses only
those bytes (issue 19: a 100 MB 835 is not parsed whole on every view of one work item).

Rows of billing.edi_claim_slices (migration 0017) are written when a file is acted on:

- 835: by posting (include.billing.posting), from the offsets the 835 parser records on each
  CLP (`ClaimPayment.offset/length`, `Remittance835.header_offset`): no second pass;
- 837P: when a batch file is stored (include.billing.submission), from one scan of the bytes;
- 277CA, 277 and 999: when the response is applied (include.billing.acknowledgments).

`read_claim_segments` gives the item page the segments of those ranges, parsed with the
delimiters of their interchange's ISA (read from the ISA's own bytes, nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass

from include.edi.reader import detect_delimiters, iter_segments

from .rcm_sql import query

ISA_MAX = 400          # bytes an ISA may take (include.edi.reader's limit for an unpadded one)

# the segment ids that end a claim's loop, per transaction type (as the item page always cut them)
_835_STOPS = frozenset({"CLP", "LX", "SE", "PLB"})
_837_STOPS = frozenset({"CLM", "HL", "SE"})
_277_STOPS = frozenset({"HL", "SE"})
_999_STOPS = frozenset({"AK2", "AK9", "SE"})


@dataclass(frozen=True)
class Slice:
    key: object                       # claim number (837, 835, 277CA, 277) or (group, set) control numbers (999)
    header_offset: int                # the interchange's ISA
    ranges: tuple[tuple[int, int], ...]   # (offset, length) in file order


def scan(content: bytes, transaction_type: str) -> list[Slice]:
    """The claim loops of a whole file (837P, 835, 277CA, 277, 999), in one pass of the reader."""
    if transaction_type.startswith("837"):
        return _scan_837(content)
    if transaction_type.startswith("277"):
        return _scan_277(content)
    if transaction_type == "999":
        return _scan_999(content)
    if transaction_type == "835":
        return _scan_835(content)
    return []


def _scan_837(content: bytes) -> list[Slice]:
    out: list[Slice] = []
    isa = 0
    sub: list[int] | None = None      # [offset, end] of the subscriber HL (2000B) and its loops
    pat: list[int] | None = None      # the same for the patient HL (2000C)
    ctx_open: list[int] | None = None  # the HL range still waiting for its end
    claim: tuple[str, int] | None = None

    def close_claim(at: int) -> None:
        nonlocal claim
        if claim is not None:
            ranges = [(r[0], r[1] - r[0]) for r in (sub, pat) if r is not None and r[1] > r[0]]
            out.append(Slice(claim[0], isa, (*ranges, (claim[1], at - claim[1]))))
            claim = None

    for s in iter_segments(content):
        tag = s.tag
        if tag in _837_STOPS or tag in ("ISA", "GS", "ST", "GE", "IEA"):
            close_claim(s.offset)
        if ctx_open is not None and tag in ("CLM", "HL", "SE"):
            ctx_open[1] = s.offset
            ctx_open = None
        if tag == "ISA":
            isa, sub, pat = s.offset, None, None
        elif tag == "HL":
            level = s.el(3)
            if level == "22":
                sub, pat = [s.offset, s.offset], None
                ctx_open = sub
            elif level == "23":
                pat = [s.offset, s.offset]
                ctx_open = pat
            else:
                sub = pat = None
        elif tag == "CLM":
            claim = (s.el(1), s.offset)
    return out


def _scan_835(content: bytes) -> list[Slice]:
    out: list[Slice] = []
    isa = 0
    claim: tuple[str, int] | None = None
    for s in iter_segments(content):
        tag = s.tag
        if claim is not None and (tag in _835_STOPS or tag in ("ISA", "GE", "IEA")):
            out.append(Slice(claim[0], isa, ((claim[1], s.offset - claim[1]),)))
            claim = None
        if tag == "ISA":
            isa = s.offset
        elif tag == "CLP":
            claim = (s.el(1), s.offset)
    return out


def _scan_277(content: bytes) -> list[Slice]:
    """The claim's loop of a 277CA/277: from after the last HL/SE/TRN before its TRN*2 (its NM1)
    to the next HL/SE."""
    out: list[Slice] = []
    isa = 0
    loop_start: int | None = None     # the first segment after the last HL/SE/TRN
    claim: tuple[str, int] | None = None
    for s in iter_segments(content):
        tag = s.tag
        if claim is not None and (tag in _277_STOPS or tag in ("ISA", "GE", "IEA")):
            out.append(Slice(claim[0], isa, ((claim[1], s.offset - claim[1]),)))
            claim = None
        if tag == "ISA":
            isa = s.offset
        if tag == "TRN" and s.el(1) == "2" and claim is None:
            claim = (s.el(2), loop_start if loop_start is not None else s.offset)
        if tag in ("HL", "SE", "TRN", "ISA", "GS", "ST"):
            loop_start = None
        elif loop_start is None:
            loop_start = s.offset
    return out


def _scan_999(content: bytes) -> list[Slice]:
    """The AK2 loop of each acknowledged transaction set; key (AK1 group control, AK2 set control)."""
    out: list[Slice] = []
    isa = 0
    group: int | None = None
    ak2: tuple[object, int] | None = None
    for s in iter_segments(content):
        tag = s.tag
        if ak2 is not None and (tag in _999_STOPS or tag in ("ISA", "GE", "IEA")):
            out.append(Slice(ak2[0], isa, ((ak2[1], s.offset - ak2[1]),)))
            ak2 = None
        if tag == "ISA":
            isa = s.offset
        elif tag == "AK1":
            group = _int(s.el(2))
        elif tag == "AK2":
            ak2 = ((group, _int(s.el(2))), s.offset)
    return out


def _int(v: str) -> int | None:
    v = (v or "").strip()
    return int(v) if v.isdigit() else None


# --- writing -----------------------------------------------------------------------------------

def record_by_claim_number(conn, file_id: int, slices: list[Slice]) -> None:
    """Store the slices of claims we know (CLM01 / CLP01 / TRN02 is our claim number)."""
    if not slices:
        return
    conn.execute(query("slices", "insert_by_claim_number"), {
        "file_id": file_id, "claim_numbers": [str(s.key) for s in slices],
        "header_offsets": [s.header_offset for s in slices],
        "offsets": [_pg_array([o for o, _ in s.ranges]) for s in slices],
        "lengths": [_pg_array([n for _, n in s.ranges]) for s in slices]})


def record_for_claims(conn, file_id: int, sl: Slice, claim_ids: list[int]) -> None:
    """One slice for several claims (a 999's AK2 loop answers every claim of the transaction set)."""
    if not claim_ids:
        return
    conn.execute(query("slices", "insert_for_claims"), {
        "file_id": file_id, "claim_ids": list(claim_ids), "header_offset": sl.header_offset,
        "offsets": [o for o, _ in sl.ranges], "lengths": [n for _, n in sl.ranges]})


def _pg_array(values: list[int]) -> str:
    """An array literal (unnest of a 2-D array would flatten it; ranges differ in number)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def posted_835_rows(file_id: int, r, matched) -> list[tuple]:
    """COPY rows for billing.edi_claim_slices of one posted 835 transaction set: each CLP's loop,
    from the offsets the parser recorded, for the claim posting matched it to."""
    header = r.header_offset
    if header is None:
        return []
    seen = set()
    rows = []
    for clp, claim in zip(r.claims, matched):
        if clp.offset is None or clp.length is None or (claim[0], clp.offset) in seen:
            continue
        seen.add((claim[0], clp.offset))
        rows.append((file_id, claim[0], header, [clp.offset], [clp.length]))
    return rows


# --- reading -----------------------------------------------------------------------------------

def read_claim_segments(conn, file_id: int, claim_id: int) -> list | None:
    """The segments of the claim's loops in a stored file, reading only their bytes and the ISA's;
    None when the file has no slices for the claim (stored before migration 0017)."""
    rows = conn.cursor(binary=True).execute(query("slices", "read"),
                                            {"file_id": file_id, "claim_id": claim_id}).fetchall()
    if not rows:
        return None
    segments = []
    for header, parts in rows:
        header = bytes(header)
        _, isa_end = detect_delimiters(header)
        # the ISA (for the delimiters), then the loops: the reader needs nothing else
        data = header[:isa_end] + b"".join(bytes(p) for p in parts)
        segs = iter_segments(data)
        next(segs)                       # the ISA itself is not shown
        segments += list(segs)
    return segments
