"""Where each claim sits in a stored EDI file, so that the Billing UI reads and parses only
those bytes (issue 19: a 100 MB 835 is not parsed whole on every view of one work item).

Rows of billing.edi_claim_slices (migration 0017) are written when a file is acted on:

- 835: by posting (include.billing.posting), from the offsets the 835 parser records on each
  claim payment (`ClaimPayment.offset/length`, `Remittance835.header_offset`): no second pass;
- 837P: when a batch file is stored (include.billing.submission), from the places the 837P
  builder records while writing it (`build_837p(places=...)`, the same list `scan` gives);
- 277CA, 277 and 999: when the response is applied (include.billing.acknowledgments).

Where a claim's loop starts and ends is the edi registry's answer (its loop schemas); nothing
here knows a segment id.

`read_claim_segments` gives the item page the segments of those ranges, parsed with the
delimiters of their interchange's ISA (read from the ISA's own bytes, nothing else).
"""

from __future__ import annotations

from include.edi.reader import detect_delimiters, iter_segments
from include.edi.registry import ClaimPlace, claim_places

from .rcm_sql import query

ISA_MAX = 400          # bytes an ISA may take (include.edi.reader's limit for an unpadded one)

# a claim's place: key (claim number, or (group, set) control numbers for a 999), the ISA's
# offset, and the (offset, length) ranges of its loops; the loops come from the edi registry
Slice = ClaimPlace


def scan(content: bytes, transaction_type: str | None = None) -> list[Slice]:
    """The claim loops of a whole file (837P, 835, 277CA, 277, 999), from the edi registry's loop
    schemas (include.edi.registry.claim_places); the file's own ST/GS08 say what it holds, so
    ``transaction_type`` (the ledger's name for it) is not needed."""
    return claim_places(content)


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
