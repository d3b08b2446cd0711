"""Requests for additional information: a 277 whose STC category is R (R0 general, R1 entity,
R3 claim/line, ... — X12 code list 507) opens a work item; answering it produces a records packet.

- `open_information_requests` turns each 277 answer with an R-category status (recorded by
  include.billing.acknowledgments as a `status_277` event; the claim is 'pending') into one work
  item (source 'rfai', reason 'RFAI_<category>', dedupe 'rfai:<file>:<claim>') saying what is
  asked in words: each STC status code (X12 507/508) and each LOINC code of a requested document
  (STC01-2 with qualifier LOI, e.g. `STC*R3:11506-3::LOI` = progress note), the payer's claim
  number (REF*1K, else the one we hold) and the due date: the request date (STC02) plus
  `BILLING_RFAI_DAYS` (default 45: Medicare's additional documentation request, MLN Matters
  MM8583 / CR 8583, Pub. 100-08 Transmittal 554: "deny claims ... not received by day 46"). The claim's event `information_requested` carries the clock.
- `answer_request` writes the records packet — a cover sheet (HTML, PDF by Chromium when
  installed) with the payer claim number and an attachment control number (PWK06 style, unique
  per request), and a copy of each document the clerk attaches, all 0600, named by ids only —
  records the event `information_sent` and resolves the item. The claim stays 'pending' until
  the payer's 835.
- `upload_information_packets` delivers each answered packet to the clearinghouse (a zip,
  `ATT_<attachment control number>.zip`, with `index.json` naming the request it answers, put in
  the inbound folder by atomic rename) and records the event `information_uploaded`.
- `flag_expired_requests` marks a request whose due date passed unanswered (event
  `information_request_expired`, details.expired), so the queue shows it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

from .appeals import TEMPLATES, _pdf_enabled, _write_private, letter_parties, render_pdf
from .ledger import close_work_item, open_work_item, record_event, update_work_item
from .rcm_sql import run

LOINC_RE = re.compile(r"^\d{1,7}-\d$")


def rfai_days() -> int:
    return int(os.environ.get("BILLING_RFAI_DAYS", "45"))


@lru_cache(maxsize=None)
def loinc_table() -> dict[str, str]:
    with (Path(__file__).resolve().parent / "codes" / "loinc_attachments.csv").open(newline="",
                                                                                    encoding="utf-8") as fh:
        return {r["loinc"].strip(): r["description"].strip() for r in csv.DictReader(fh)}


def describe_request(statuses) -> tuple[list[dict], list[dict]]:
    """(status codes in words, requested documents in words) from a 277 claim's STC composites."""
    from include.edi.x277 import CATEGORY_CODES, STATUS_CODES

    asked, documents = [], []
    for s in statuses:
        if not s.category.startswith("R"):
            continue
        category = CATEGORY_CODES.get(s.category, f"category {s.category}")
        if s.code and LOINC_RE.fullmatch(s.code):
            documents.append({"loinc": s.code, "category": s.category,
                              "text": loinc_table().get(s.code, f"document LOINC {s.code}")})
        else:
            asked.append({"category": s.category, "code": s.code,
                          "text": category + (f": {STATUS_CODES.get(s.code, 'status ' + s.code)}" if s.code else "")})
    return asked, documents


def _request_date(content: bytes, claim) -> dt.date:
    if claim.effective_date:
        return claim.effective_date
    from include.edi.registry import first_group_date

    gs04 = first_group_date(bytes(content))
    return dt.datetime.strptime(gs04[:8], "%Y%m%d").date() if gs04 else dt.date.today()


def open_information_requests(conn, *, actor: str) -> dict:
    """A work item for every 277 request for additional information not opened yet."""
    from include.edi.x277 import parse_277

    opened = 0
    conn.commit()
    rows = run(conn, "denials", "rfai_unopened").fetchall()
    conn.commit()
    for r in rows:
        claim_id, file_id, content, claim_number = r.claim_id, r.source_file_id, r.content, r.claim_number
        held_pccn = r.payer_claim_control_number
        answers = [a for a in parse_277(bytes(content))
                   if claim_number in (a.claim_id, a.patient_account_number)
                   and any(s.category.startswith("R") for s in a.statuses)]
        if not answers:
            continue
        a = answers[0]
        asked, documents = describe_request(a.statuses)
        requested_on = _request_date(content, a)
        # the payer's response due date (X213 2200D DTP*106) when it gives one, else our default
        due = a.response_due_date or requested_on + dt.timedelta(days=rfai_days())
        pccn = a.payer_claim_control_number or held_pccn
        # TRN02 of an unsolicited request is the payer's tracking number, which the answer echoes
        tracking = a.claim_id if a.claim_id != claim_number else None
        category = next(s.category for s in a.statuses if s.category.startswith("R"))
        words = "; ".join([x["text"] for x in asked] + [f"{d['text']} (LOINC {d['loinc']})" for d in documents])
        details = {"requested_on": requested_on.isoformat(), "due_date": due.isoformat(),
                   "payer_claim_number": pccn, "payer_tracking_number": tracking,
                   "asked": asked, "documents": documents,
                   "statuses": [s.to_dict() for s in a.statuses]}
        with conn.transaction():
            item_id = open_work_item(
                conn, claim_id=claim_id, edi_file_id=file_id, source="rfai", reason_code=f"RFAI_{category}",
                explanation=f"Information requested by the payer (claim {pccn or 'number not given'}), "
                            f"due {due.isoformat()}: {words or 'see the 277'}",
                details=details, dedupe_key=f"rfai:{file_id}:{claim_id}", due_date=due)
            if item_id is None:
                continue
            record_event(conn, claim_id, "information_requested", actor=actor, source_file_id=file_id,
                      detail={"work_item_id": item_id, "due_date": due.isoformat(), "category": category,
                              "loinc": [d["loinc"] for d in documents]},
                      dedupe_key=f"information_requested:{file_id}:{claim_id}")
            opened += 1
    return {"opened": opened}


def attachment_control_number(claim_id: int, item_id: int) -> str:
    """Unique per request, at most 50 characters (PWK06 / the 275's TRN02)."""
    return f"ACN{claim_id:010d}R{item_id:08d}"


def answer_request(conn, item_id: int, documents: list[Path], *, actor: str, out_dir: Path | None = None,
                   pdf: bool | None = None, today: dt.date | None = None) -> dict:
    """Write the records packet for a request, record the answer and resolve the item."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    today = today or dt.date.today()
    item = run(conn, "denials", "rfai_item_for_update", {"item_id": item_id}).fetchone()
    if item is None:
        raise LookupError(f"work item {item_id} is not a request for additional information")
    claim_id, state, details, due = item.claim_id, item.state, item.details, item.due_date
    if state not in ("open", "in_progress"):
        raise ValueError(f"work item {item_id} is already {state}")
    if not documents:
        raise ValueError("attach at least one document")
    details = details if isinstance(details, dict) else json.loads(details or "{}")
    parties = letter_parties(conn, claim_id)
    acn = attachment_control_number(claim_id, item_id)
    if out_dir:
        folder = Path(out_dir)
    elif os.environ.get("BILLING_RECORDS_DIR", "").strip():
        folder = Path(os.environ["BILLING_RECORDS_DIR"].strip())
    else:
        from include.billing.settings import work_dir

        folder = work_dir("records")
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"records-claim{claim_id}-item{item_id}"        # ids only: no PHI in file names
    copies = []
    for n, doc in enumerate(documents, start=1):
        target = folder / f"{stem}-doc{n}{Path(doc).suffix}"
        shutil.copyfile(doc, target)
        os.chmod(target, 0o600)
        copies.append(target)
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("records_cover.html.j2").render(
        today=today, work_item_id=item_id, attachment_control_number=acn,
        claim={**parties["claim"], "payer_claim_control_number": details.get("payer_claim_number")
               or parties["claim"]["payer_claim_control_number"]},
        provider=parties["provider"], payer=parties["payer"],
        patient={"name": parties["patient"]["name"], "member_id": parties["patient"]["member_id"]},  # no birth date
        requested_on=details.get("requested_on"), due_date=details.get("due_date") or due,
        asked=[x["text"] for x in details.get("asked", [])]
        + [f"{d['text']} (LOINC {d['loinc']})" for d in details.get("documents", [])],
        documents=[c.name for c in copies])
    cover = folder / f"{stem}-cover.html"
    _write_private(cover, html)
    files = [cover]
    if _pdf_enabled(pdf):
        cover_pdf = cover.with_suffix(".pdf")
        if render_pdf(cover, cover_pdf):
            files.append(cover_pdf)
    packet = {"attachment_control_number": acn, "files": [str(f) for f in files + copies], "sent_on": today.isoformat()}
    update_work_item(conn, item_id, {"answer": packet})
    close_work_item(conn, item_id, resolution="resolved", actor=actor)
    record_event(conn, claim_id, "information_sent", actor=actor,
              detail={"work_item_id": item_id, "attachment_control_number": acn,
                      "late": bool(due and today > due), "files": [f.name for f in files + copies]},
              dedupe_key=f"information_sent:{item_id}")
    return packet


def packet_file_name(acn: str) -> str:
    """The name of a records packet at the clearinghouse: ATT_<attachment control number>.zip."""
    return f"ATT_{acn}.zip"


def packet_archive(index: dict, files: list[Path]) -> bytes:
    """The records packet as the clearinghouse's attachment upload takes it: one zip holding
    `index.json` (which request it answers) and the cover sheet and documents. Entry times are
    fixed, so the same packet is the same bytes (a retried upload is recognised as delivered)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)

        add("index.json", json.dumps(index, sort_keys=True, indent=1).encode())
        for f in files:
            add(f.name, f.read_bytes())
    return buf.getvalue()


def pending_packets(conn) -> int:
    conn.commit()
    n = len(run(conn, "denials", "rfai_unsent_packets").fetchall())
    conn.commit()
    return n


def upload_information_packets(conn, remote, *, inbound_dir: str = "inbound", actor: str) -> dict:
    """Deliver every answered request's records packet to the clearinghouse (attachment upload
    over SFTP, atomic rename) and record the event `information_uploaded` on the claim.

    The packet names the request it answers in `index.json`: the payer's tracking number (TRN02
    of the 277), the payer's claim number, our claim number (CLM01), the attachment control
    number and the LOINC codes answered; the files are the cover sheet and the documents."""
    from .transport import upload_atomically

    sent = 0
    conn.commit()
    rows = run(conn, "denials", "rfai_unsent_packets").fetchall()
    conn.commit()
    for r in rows:
        item_id, claim_id, claim_number, held_pccn = r.id, r.claim_id, r.claim_number, r.payer_claim_control_number
        details = r.details if isinstance(r.details, dict) else json.loads(r.details or "{}")
        answer = details["answer"]
        acn = answer["attachment_control_number"]
        files = [Path(f) for f in answer["files"]]
        index = {"attachment_control_number": acn, "payer_tracking_number": details.get("payer_tracking_number"),
                 "payer_claim_control_number": details.get("payer_claim_number") or held_pccn,
                 "patient_control_number": claim_number, "payer_id": r.payer_identifier,
                 "loinc": [d["loinc"] for d in details.get("documents", [])],
                 "files": [f.name for f in files], "sent_on": answer.get("sent_on")}
        name = packet_file_name(acn)
        outcome = upload_atomically(remote, packet_archive(index, files), inbound_dir, name,
                                    also_look_in=("archive",))
        with conn.transaction():
            record_event(conn, claim_id, "information_uploaded", actor=actor,
                      detail={"work_item_id": item_id, "attachment_control_number": acn, "file": name,
                              "delivery": outcome},
                      dedupe_key=f"information_uploaded:{item_id}")
        sent += 1
    conn.commit()
    return {"packets_uploaded": sent}


def flag_expired_requests(conn, *, actor: str, today: dt.date | None = None) -> dict:
    """Flag each open request whose due date passed unanswered."""
    today = today or dt.date.today()
    flagged = 0
    conn.commit()
    for r in run(conn, "denials", "rfai_expired", {"today": today}).fetchall():
        item_id, claim_id, due = r.id, r.claim_id, r.due_date
        with conn.transaction():
            update_work_item(conn, item_id, {"expired": True, "expired_on": today.isoformat()})
            record_event(conn, claim_id, "information_request_expired", actor=actor,
                      detail={"work_item_id": item_id, "due_date": due.isoformat()},
                      dedupe_key=f"information_request_expired:{item_id}")
            flagged += 1
    return {"flagged": flagged}
