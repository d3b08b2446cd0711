"""Claim status inquiry: a 276 for claims with neither a 277CA nor an 835 after N days.

N is BILLING_STATUS_INQUIRY_DAYS (default 21), counted on the caller's clock (the demo runs a
simulated one). Each claim is asked about at most once per N-day period: the claim event
'status_inquiry' has the dedupe key '276:<claim id>:<period>'. The 276 is stored first
(billing.edi_files, state 'stored'), uploaded atomically (NAME.part → NAME) to the
clearinghouse's inbound folder, then marked 'sent'; a crash in between re-sends the same bytes
under the same name on the next run. The 277 answer is applied by `acknowledgments.apply_277`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from include.edi.x276 import StatusInquiry, build_276

from .ledger import record_event, store_file
from .rcm_sql import query

log = logging.getLogger(__name__)


def inquiry_days() -> int:
    return int(os.environ.get("BILLING_STATUS_INQUIRY_DAYS", "21"))


def _control_number(conn, partner: str, kind: str) -> int:
    from .claims import allocate_control_numbers  # the submission area's sequence per partner

    return allocate_control_numbers(conn, partner, kind)


def prepare_status_inquiries(conn, *, now: dt.datetime, actor: str, days: int | None = None,
                             sender_id: str | None = None) -> dict:
    """Build and store one 276 per trading partner for the claims due; returns counts and file ids."""
    days = inquiry_days() if days is None else days
    sender_id = sender_id or os.environ.get("BILLING_SUBMITTER_ID", "BILLINGSVC")
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    rows = conn.execute(query("responses", "inquiry_candidates"),
                        {"cutoff": now - dt.timedelta(days=days)}).fetchall()
    conn.commit()                     # each partner's file below is its own transaction
    due = []
    for r in rows:
        period = (now - r[5]).days // max(days, 1)
        due.append((f"276:{r[0]}:{period}", r))
    if not due:
        return {"claims": 0, "files": []}
    sent = {k for (k,) in conn.execute(query("responses", "inquiry_sent_keys"),
                                       {"keys": [k for k, _ in due]}).fetchall()}
    conn.commit()
    by_partner: dict[str, list] = {}
    for key, r in due:
        if key not in sent:
            by_partner.setdefault(r[6], []).append((key, r))
    files = []
    n = 0
    for partner, items in sorted(by_partner.items()):
        with conn.transaction():
            icn = _control_number(conn, partner, "interchange")
            inquiries = [StatusInquiry(
                trace_number=r[1], claim_id=r[1], member_id=r[11] or "UNKNOWN", last_name=r[12] or "UNKNOWN",
                first_name=r[13], payer_name=r[7] or "PAYER", payer_id=r[8] or "UNKNOWN", provider_npi=r[9],
                provider_name=r[10], total_charge=r[2], service_from=r[3], service_to=r[3],
                payer_claim_control_number=r[4], receiver_id=sender_id, birth_date=r[14], sex=r[15])
                for _, r in items]
            data = build_276(inquiries, sender_id=sender_id, receiver_id=partner.upper(),
                             interchange_control_number=icn, group_control_number=icn,
                             created=now.replace(tzinfo=None))
            name = f"276_{icn:09d}.x12"
            # the intent before the upload: the 276 is stored first, sent after
            stored = store_file(conn, direction="out", transaction_type="276", file_name=name, content=data,
                                origin=actor, partner=partner)
            file_id = stored.id if stored.is_new else None
            for key, r in items:
                record_event(conn, r[0], "status_inquiry", actor=actor, source_file_id=file_id,
                          detail={"file": name, "days_since_submission": (now - r[5]).days}, dedupe_key=key)
            files.append(file_id)
            n += len(items)
    log.info("276: %d claim(s) in %d file(s)", n, len(files))
    return {"claims": n, "files": files}


def upload_pending_inquiries(conn, remote, *, inbound_dir: str = "inbound") -> int:
    """Upload every stored, unsent 276 (atomic rename), then mark it 'sent'."""
    from .transport import upload_atomically

    sent = 0
    conn.commit()
    for file_id, name, content in conn.execute(query("responses", "unsent_outbound")).fetchall():
        upload_atomically(remote, bytes(content), inbound_dir, name, also_look_in=("archive",))
        with conn.transaction():
            conn.execute(query("responses", "mark_file"), {"state": "sent", "error": None, "file_id": file_id})
        sent += 1
    conn.commit()
    return sent
