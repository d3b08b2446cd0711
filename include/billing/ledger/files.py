"""Storing a file: the one writer of billing.edi_files rows.

A file is stored before anything acts on it (invariant 2), with its origin (a remote path or the
task that wrote it) and its content address (sha256). The same bytes twice in one direction, or
the same partner and file name twice, is one row. The run columns default to the run bound to
the connection (include.billing.runs.bind_run).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

from psycopg.rows import namedtuple_row

from include.billing.rcm_sql import query


@dataclass(frozen=True)
class Stored:
    id: int
    is_new: bool          # False: these bytes (or this partner's file name) were stored before


def store_file(conn, *, direction: str, transaction_type: str, file_name: str, content: bytes,
               origin: str, partner: str, state: str = "stored") -> Stored:
    """Store one file (in the caller's transaction); storing it again returns the row already there."""
    with conn.cursor(row_factory=namedtuple_row) as cur:
        row = cur.execute(query("ledger", "store_file"), {
            "direction": direction, "transaction_type": transaction_type, "file_name": file_name,
            "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content), "content": content,
            "origin": origin, "partner": partner, "state": state}).fetchone()
    return Stored(int(row.id), bool(row.is_new))


def store_files(conn, files: Sequence[dict]) -> list[int]:
    """`store_file` for many files in one statement; returns the ids in the order of `files`.

    Each file is a dict of store_file's keyword arguments (state included). A file that was not
    inserted because its bytes, or its partner and name, are already stored is looked up one by
    one with store_file (rare), so the result is what store_file would give one by one.
    """
    if not files:
        return []
    sha = [hashlib.sha256(f["content"]).hexdigest() for f in files]
    with conn.cursor(row_factory=namedtuple_row) as cur:
        inserted = {(r.direction, r.trading_partner, r.file_name): int(r.id)
                    for r in cur.execute(query("ledger", "store_files"), {
                        "directions": [f["direction"] for f in files],
                        "transaction_types": [f["transaction_type"] for f in files],
                        "file_names": [f["file_name"] for f in files], "sha256s": sha,
                        "sizes": [len(f["content"]) for f in files], "contents": [f["content"] for f in files],
                        "origins": [f["origin"] for f in files], "partners": [f["partner"] for f in files],
                        "states": [f.get("state", "stored") for f in files]}).fetchall()}
    ids: list[int] = []
    for f in files:
        file_id = inserted.pop((f["direction"], f["partner"], f["file_name"]), None)
        if file_id is None:      # already stored: the row that is there
            file_id = store_file(conn, **f).id
        ids.append(file_id)
    return ids
