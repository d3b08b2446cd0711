"""Inbound clearinghouse files: fetch over SFTP, store before acting, archive after storing.

Invariant 2 ("nothing lost") lives here: a remote file is read, stored in billing.edi_files
(bytes + sha256 + name + origin) and COMMITTED, and only then moved to the archive folder.
A crash between the two leaves the remote file in place; the next run sees the same sha256,
stores nothing new and archives it. The same bytes under another name are stored once.

The remote side is an `include.billing.transport.RemoteFiles` (listdir, read, rename,
remove): the DAG wraps the Airflow SFTPHook's client in `SftpFiles`, tests may use a
`LocalFolder`. No Airflow here.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from dataclasses import dataclass, field

from include.billing.transport import FileTooLargeError
from include.edi import registry
from include.edi.errors import X12Error

from .ledger import open_work_item, store_file
from .rcm_sql import query

log = logging.getLogger(__name__)

# what the X12 registry has no entry for: the interchange acknowledgment (TA1) and the 4010
# functional acknowledgment (997), which this office reads as a 999
_OUTSIDE_REGISTRY = {"TA1": "TA1", "997": "999"}
# what a clearinghouse or payer sends us; anything else (an 837P, a 270, a 276 dropped in our
# inbound folder) is not an answer and is stored as 'unknown'
RECEIVED = frozenset({"999", "277CA", "277", "835", "271"})


def classify(data: bytes) -> str:
    """The transaction type of an inbound file from its content; 'unknown' if unreadable.

    The X12 registry names it from ST01 and GS08 (ST03 when GS08 is empty), so a 277 is a 277CA
    under the X214 guide and a claim status response under X212. A transaction set whose guide
    version is not one of ours is still named by its ST01 when that names one of our types.
    """
    try:
        first = registry.first_transaction_id(data)      # a TA1 ahead of any ST answers the interchange
        entry = None if first in _OUTSIDE_REGISTRY else registry.identify(data)
    except (X12Error, ValueError, UnicodeDecodeError):
        return "unknown"
    if entry is not None:
        return entry.name if entry.name in RECEIVED else "unknown"
    return _OUTSIDE_REGISTRY.get(first) or (first if first in RECEIVED else "unknown")


@dataclass
class StoredFile:
    file_id: int
    file_name: str
    transaction_type: str
    is_new: bool


def store_inbound(conn, file_name: str, data: bytes, *, origin: str,
                  trading_partner: str = "sandbox") -> StoredFile:
    """Store one inbound file (in the caller's transaction); a file already stored (same sha256)
    returns the existing row with ``is_new=False``.

    If another file already used this name (a partner re-using names), the new one is stored
    under ``<name>.<sha8>`` so that neither is lost.
    """
    sha = hashlib.sha256(data).hexdigest()
    row = conn.execute(query("responses", "file_by_sha"), {"sha256": sha}).fetchone()
    if row:
        return StoredFile(row[0], row[1], "", False)
    ttype = classify(data)
    name = file_name
    if conn.execute(query("responses", "file_name_taken"),
                    {"trading_partner": trading_partner, "file_name": name}).fetchone():
        name = f"{file_name}.{sha[:8]}"
    stored = store_file(conn, direction="in", transaction_type=ttype, file_name=name, content=data,
                        origin=origin, partner=trading_partner)
    if not stored.is_new:       # a concurrent run stored the same bytes a moment ago
        row = conn.execute(query("responses", "file_by_sha"), {"sha256": sha}).fetchone()
        return StoredFile(row[0], row[1], ttype, False)
    return StoredFile(stored.id, name, ttype, True)


@dataclass
class FetchResult:
    stored: int = 0
    duplicates: int = 0
    archived: int = 0
    skipped: int = 0
    quarantined: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        # "remittances": new 835s stored (what remittance_posting has to post)
        return {"stored": self.stored, "duplicates": self.duplicates, "archived": self.archived, "skipped": self.skipped,
                "quarantined": self.quarantined, "remittances": self.by_type.get("835", 0),
                "by_type": dict(self.by_type), "errors": list(self.errors)}


def _archive(remote, src: str, dst: str) -> None:
    """Move src to dst; if the move fails (dst exists and the server refuses to replace it),
    the stored copy wins: drop src."""
    try:
        remote.rename(src, dst)
    except OSError:
        remote.remove(src)


def _quarantine_too_large(conn, remote, src: str, dst: str, exc: FileTooLargeError) -> None:
    """Move an oversized remote file out of the pick-up folder (to `dst`, next to the archive) and
    open a work item naming it, so the queue goes on and a person decides (nothing is lost)."""
    open_work_item(conn, **{
        "source": "inbox", "reason_code": "FILE_TOO_LARGE",
        "explanation": (f"The clearinghouse file {posixpath.basename(src)} is {exc.size:,} bytes, over the "
                        f"{exc.limit:,}-byte limit (BILLING_SFTP_MAX_FILE_BYTES). It was not read and was moved "
                        f"to {dst} on the clearinghouse. Ask the clearinghouse what it is; raise the limit "
                        f"and move it back to be picked up if it is genuine."),
        "details": {"remote_path": src, "quarantined_to": dst, "size_bytes": exc.size, "limit_bytes": exc.limit},
        "dedupe_key": f"inbox:too_large:{src}:{exc.size}"})
    conn.commit()                        # the work item is durable before the remote file moves
    try:
        remote.rename(src, dst)
    except OSError:
        log.warning("could not move oversized %s aside; it stays and is skipped again", src)
    log.error("quarantined %s: %d bytes over the %d-byte limit", src, exc.size, exc.limit)


def fetch_outbound(conn, remote, *, remote_dir: str = "outbound", archive_dir: str = "archive",
                   trading_partner: str = "sandbox", skip_types: tuple[str, ...] = ("271",)) -> FetchResult:
    """Pick up every finished file in ``remote_dir``: store + commit each, then archive it.

    Files still being written (``*.part``, dot files) are skipped. One file failing to read
    is reported in ``errors`` and the rest go on. Commits per file (storing must be durable
    before the remote copy moves).
    """
    result = FetchResult()
    try:
        names = sorted(remote.listdir(remote_dir))
    except OSError as exc:
        raise RuntimeError(f"cannot list remote folder {remote_dir!r}: {exc}") from exc
    for name in names:
        if name.endswith(".part") or name.startswith(".") or name.endswith(".tmp"):
            continue
        src = posixpath.join(remote_dir, name)
        try:
            data = remote.read(src)
        except FileTooLargeError as exc:  # hostile or broken: never in memory; set aside for a person
            _quarantine_too_large(conn, remote, src, posixpath.join(archive_dir, name + ".quarantined"), exc)
            result.quarantined += 1
            result.errors.append(str(exc))
            continue
        except OSError as exc:           # a folder, or vanished: report and go on
            result.errors.append(f"{src}: cannot read: {exc}")
            continue
        if classify(data) in skip_types:  # another step's answer (batch eligibility waits for its 271)
            result.skipped += 1
            continue
        stored = store_inbound(conn, name, data, origin=f"sftp:{src}", trading_partner=trading_partner)
        conn.commit()                    # durable before the remote file moves
        if stored.is_new:
            result.stored += 1
            result.by_type[stored.transaction_type] = result.by_type.get(stored.transaction_type, 0) + 1
        else:
            result.duplicates += 1
        _archive(remote, src, posixpath.join(archive_dir, name))
        result.archived += 1
    log.info("fetched from %s: stored %d, duplicates %d, archived %d",
             remote_dir, result.stored, result.duplicates, result.archived)
    return result
