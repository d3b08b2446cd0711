"""The artefact store: reports, charts, attachments, data-quality results and appeal packets as
bytes in the ledger database (`billing.artefacts`, migration 0016).

Why the ledger database (docs/artefacts.md): every worker and the API server already reach it,
an artefact commits in the same transaction as the claim event or work item it explains (no
file without its row, no row without its file), it is backed up with the ledger that refers to
it, and PHI stays in one place under one set of roles. The artefacts are small (a report is a few
hundred KB, a letter a few KB).

Each artefact records the task try that wrote it (dag_id, task_id, run_id, try_number, map_index:
the connection's bound run, include.billing.runs). XCom carries artefact ids; a task that needs
files on disk (the mailer, Chromium printing a PDF) `materialise`s them into its own temporary
folder and drops it afterwards.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path

from include.billing.rcm_sql import query


class ArtefactError(LookupError):
    pass


@dataclass(frozen=True)
class Artefact:
    id: int
    kind: str
    name: str
    media_type: str
    content: bytes
    sha256: str
    holds_phi: bool
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    try_number: int | None = None


def media_type_of(name: str) -> str:
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def store(conn, *, kind: str, name: str, content: bytes, natural_key: str | None = None,
          holds_phi: bool = False, work_item_id: int | None = None, media_type: str | None = None) -> int:
    """Store bytes and return the artefact id, in the caller's transaction.

    With a `natural_key`, storing again (a retried task) replaces the bytes of the same artefact
    and returns its id: one artefact per key, never two.
    """
    if "/" in name or not name:
        raise ValueError("an artefact name is a file name without folders")
    content = bytes(content)
    row = conn.execute(query("artefacts", "store"), {
        "kind": kind, "name": name, "media_type": media_type or media_type_of(name), "content": content,
        "size_bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(), "holds_phi": holds_phi,
        "natural_key": natural_key, "work_item_id": work_item_id}).fetchone()
    return int(row[0])


def find(conn, natural_key: str) -> int | None:
    row = conn.execute(query("artefacts", "find"), {"natural_key": natural_key}).fetchone()
    return int(row[0]) if row else None


def load(conn, artefact_id: int) -> Artefact:
    """The artefact; its bytes are checked against the sha256 stored with them."""
    row = conn.execute(query("artefacts", "load"), {"id": artefact_id}).fetchone()
    if row is None:
        raise ArtefactError(f"artefact {artefact_id} does not exist")
    art = Artefact(id=row[0], kind=row[1], name=row[2], media_type=row[3], content=bytes(row[4]), sha256=row[5],
                   holds_phi=row[6], dag_id=row[7], task_id=row[8], run_id=row[9], try_number=row[10])
    if hashlib.sha256(art.content).hexdigest() != art.sha256:
        raise ArtefactError(f"artefact {artefact_id} does not match its sha256")
    return art


def for_work_item(conn, work_item_id: int, kind: str) -> list[int]:
    """Ids of a work item's artefacts of one kind, oldest first."""
    return [int(r[0]) for r in conn.execute(query("artefacts", "for_work_item"),
                                            {"work_item_id": work_item_id, "kind": kind}).fetchall()]


def store_files(conn, paths, *, kind_of, key_prefix: str, holds_phi: bool = False) -> dict[str, int]:
    """Store files (one artefact each, keyed `<key_prefix>/<name>`); {file name: artefact id}."""
    out = {}
    for path in paths:
        path = Path(path)
        out[path.name] = store(conn, kind=kind_of(path), name=path.name, content=path.read_bytes(),
                               natural_key=f"{key_prefix}/{path.name}", holds_phi=holds_phi)
    return out


def materialise(conn, ids: dict[str, int] | list[int], folder: Path) -> dict[str, Path]:
    """Write artefacts into `folder` (a task's own temporary folder): {name: path}. Files 0600."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for artefact_id in (ids.values() if isinstance(ids, dict) else ids):
        art = load(conn, int(artefact_id))
        path = folder / art.name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(art.content)
        out[art.name] = path
    return out


def list_for_work_item(conn, work_item_id: int) -> list[dict]:
    """A work item's artefacts (appeal letters, PDFs), newest first: ids, names and who wrote them."""
    return [dict(zip(("id", "kind", "name", "size_bytes", "created_at", "dag_id", "task_id", "run_id", "try_number"),
                     r))
            for r in conn.execute(query("artefacts", "list_for_work_item"), {"work_item_id": work_item_id})]


def list_reports(conn, limit: int = 30) -> list[dict]:
    """The archived reports (index artefacts), newest first, with the artefacts each names."""
    out = []
    for r in conn.execute(query("artefacts", "list_reports"), {"limit": limit}):
        import json

        index = json.loads(bytes(r[2]))
        out.append({"id": r[0], "name": r[1], "as_of": index.get("as_of"), "period": index.get("period"),
                    "run_id": index.get("run_id"), "artefacts": index.get("artefacts", {}), "created_at": r[3]})
    return out
