"""Appeal packets: a letter (HTML from include/templates/appeal_letter.html.j2) and its PDF.

The letter holds PHI (patient name, member id, birth date), so files are written 0600 and
named by claim id and work item id only. The PDF is printed by headless Chromium when it is
installed (`--print-to-pdf`, about a second per letter), after routing and outside its
transactions (`print_pending_pdfs`); without Chromium the packet is HTML only.
BILLING_APPEAL_PDF=0 turns PDF printing off (fast runs), BILLING_APPEAL_DIR says where
this worker writes its copy. The letter and the PDF are also stored in the artefact store
(include.billing.artefacts, holds_phi) with their work item: the PDF printing step, which may run
on another worker, and the Billing UI read them there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from psycopg.rows import dict_row

from include.billing.private_files import private_dir

from .carc import classify
from .ledger import update_work_item
from .rcm_sql import query, run

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

ARGUMENTS = {
    "medical necessity": "The service was medically necessary for the patient's condition as documented in "
                         "the enclosed records, and meets the plan's coverage criteria.",
    "authorization": "The service was authorized, or the circumstances did not permit obtaining authorization "
                     "in advance; the enclosed records document the request and the urgency of care.",
}


def appeal_dir() -> Path:
    raw = os.environ.get("BILLING_APPEAL_DIR", "").strip()
    if raw:
        return Path(raw)
    from include.billing.settings import work_dir

    return work_dir("appeals")


def letter_parties(conn, claim_id: int) -> dict:
    """The claim, provider, payer and patient a letter names (an appeal, a records cover), by column name."""
    r = conn.cursor(row_factory=dict_row).execute(query("denials", "appeal_data"), {"claim_id": claim_id}).fetchone()
    return {
        "claim": {"claim_number": r["claim_number"], "date_of_service": r["date_of_service"],
                  "total_charge": r["total_charge"], "payer_claim_control_number": r["payer_claim_control_number"]},
        "provider": {k: r[f"provider_{k}"] for k in ("name", "npi", "address1", "city", "state", "zip")},
        "payer": {"name": r["payer_name"] or "Payer",
                  **{k: r[f"payer_{k}"] for k in ("address1", "city", "state", "zip")}},
        "patient": {"name": f"{r['first_name']} {r['last_name']}", "member_id": r["member_id"],
                    "birth_date": r["birth_date"]},
    }


def _pdf_enabled(pdf: bool | None) -> bool:
    if pdf is not None:
        return pdf
    return os.environ.get("BILLING_APPEAL_PDF", "1").strip().lower() not in ("0", "false", "no", "off")


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def render_pdf(html_path: Path, pdf_path: Path, *, timeout: int = 60) -> bool:
    """Print an HTML file to PDF with headless Chromium; False when Chromium is not here or fails."""
    binary = chromium_binary()
    if binary is None:
        return False
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            log.warning("PDF not printed for %s: %s", html_path.name, type(exc).__name__)
            return False
    if not pdf_path.exists():
        return False
    os.chmod(pdf_path, 0o600)
    return True


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def render_letter(context: dict) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("appeal_letter.html.j2").render(**context)


def build_appeal_packet(conn, work_item_id: int, *, out_dir: Path | None = None, pdf: bool | None = None,
                        today: dt.date | None = None) -> dict:
    """Write the appeal letter (and PDF) for a denial work item; returns {"files": [...], "deadline"}."""
    today = today or dt.date.today()
    item = run(conn, "denials", "appeal_item", {"item_id": work_item_id}).fetchone()
    if item is None:
        raise LookupError(f"work item {work_item_id} does not exist")
    claim_id, due = item.claim_id, item.due_date
    details = item.details if isinstance(item.details, dict) else json.loads(item.details or "{}")
    cp_id = details.get("claim_payment_id")
    parties = letter_parties(conn, claim_id)
    lines = [{**r, "modifiers": list(r["modifiers"] or [])}
             for r in conn.cursor(row_factory=dict_row).execute(
                 query("denials", "appeal_lines"), {"claim_id": claim_id, "claim_payment_id": cp_id}).fetchall()]
    reasons = []
    needs_auth = False
    for code in details.get("codes", []):
        group, carc = code["code"].split("-", 1)
        c = classify(group, carc, code.get("rarcs", []))
        needs_auth = needs_auth or c.category == "authorization"
        reasons.append({"code": code["code"], "amount": code["amount"], "text": c.explanation()})
    category = details.get("category", "")
    from .routing import EVIDENCE

    evidence = [EVIDENCE.get(e, e) for e in details.get("evidence") or []]
    proof = details.get("filing_proof")
    context = {
        "today": today, "deadline": due or today, "work_item_id": work_item_id,
        **parties,
        "denied_amount": Decimal(details.get("denied_amount", "0")), "reasons": reasons, "lines": lines,
        "argument": ARGUMENTS.get(category, "The claim was billed correctly; we ask for a full review."),
        "needs_auth": needs_auth, "evidence": evidence, "proof": proof,
        "next_step": details.get("next_step"),
    }
    if proof and proof.get("in_time"):
        context["argument"] = (f"The claim reached the clearinghouse and you inside your filing limit of "
                               f"{proof['limit_days']} days (from the {proof['window_from']}, {proof['window_start']}; "
                               f"deadline {proof['deadline']}): the enclosed acknowledgments show its receipt. A claim "
                               "received in time is not late; please reprocess it.")
    folder = private_dir(Path(out_dir) if out_dir else appeal_dir())
    stem = f"appeal-claim{claim_id}-item{work_item_id}"      # ids only: no PHI in file names
    html_path = folder / f"{stem}.html"
    letter = render_letter(context)
    _write_private(html_path, letter)
    files = [str(html_path)]
    stored = {html_path.name: _store(conn, work_item_id, html_path.name, letter.encode())}
    attachments = []
    for n, ack in enumerate((proof or {}).get("acknowledgments") or [], start=1):
        # the acknowledgments themselves are attached, as the payer would read them (X12 text)
        f = run(conn, "denials", "file_content", {"file_id": ack["file_id"]}).fetchone()
        if f is not None:
            path = folder / f"{stem}-proof{n}-{ack['type']}.x12"
            _write_private(path, bytes(f.content).decode("latin-1"))
            attachments.append(str(path))
            stored[path.name] = _store(conn, work_item_id, path.name, bytes(f.content))
    if _pdf_enabled(pdf):
        pdf_path = folder / f"{stem}.pdf"
        if render_pdf(html_path, pdf_path):
            files.append(str(pdf_path))
            stored[pdf_path.name] = _store(conn, work_item_id, pdf_path.name, pdf_path.read_bytes())
    return {"files": files, "attachments": attachments, "deadline": (due or today).isoformat(), "artefacts": stored}


def _store(conn, work_item_id: int, name: str, content: bytes) -> int:
    """The packet's file in the artefact store (PHI: holds_phi), where the UI and other workers read it."""
    from .artefacts import store

    kind = "appeal_pdf" if name.endswith(".pdf") else "appeal_letter" if name.endswith(".html") else "appeal_attachment"
    return store(conn, kind=kind, name=name, content=content,
                 holds_phi=True, work_item_id=work_item_id, natural_key=f"appeal/{work_item_id}/{name}")


def letter_from_store(conn, work_item_id: int, folder: Path) -> Path | None:
    """The work item's latest stored letter written into `folder` (this worker's own disk), or None."""
    from .artefacts import for_work_item, materialise

    ids = for_work_item(conn, work_item_id, "appeal_letter")
    if not ids:
        return None
    return next(iter(materialise(conn, [ids[-1]], folder).values()))


def print_pending_pdfs(conn, *, limit: int | None = None) -> dict:
    """Print the PDF of every appeal letter that has none yet, all in one Chromium.

    Each packet's files list gains the PDF; a letter Chromium cannot print is marked so it is not
    retried forever (the HTML stays the packet)."""
    if not _pdf_enabled(None) or chromium_binary() is None:
        return {"printed": 0, "enabled": False}
    conn.commit()
    rows = run(conn, "denials", "packets_without_pdf", {"limit": limit or 1_000_000}).fetchall()
    conn.commit()
    with tempfile.TemporaryDirectory(prefix="appeal-pdf-") as tmp:
        return _print_jobs(conn, rows, Path(tmp))


def _print_jobs(conn, rows, tmp: Path) -> dict:
    jobs = []
    for r in rows:
        item_id, html = r.id, Path(r.files[0])
        if not html.exists():      # routed on another worker: the letter comes from the artefact store
            html = letter_from_store(conn, item_id, tmp / str(item_id))
            conn.commit()
        if html is not None and html.exists():
            jobs.append((item_id, html, html.with_suffix(".pdf")))

    def record(item_id, html, pdf, ok) -> None:
        packet = {"files": [str(html), str(pdf)]} if ok else {"pdf_failed": True}
        with conn.transaction():
            if ok:
                packet["artefacts"] = {html.name: _store(conn, item_id, html.name, html.read_bytes()),
                                       pdf.name: _store(conn, item_id, pdf.name, pdf.read_bytes())}
            update_work_item(conn, item_id, packet, merge_into="appeal_packet")

    # one browser prints them all (include/billing/pdf.py); one browser per letter only as a fallback
    from websockets.exceptions import WebSocketException

    from .pdf import ChromiumPrinter

    printed, done = 0, 0
    if not jobs:
        return {"printed": 0, "enabled": True}
    try:
        with ChromiumPrinter(chromium_binary()) as printer:
            for item_id, html, pdf in jobs:
                printer.print(html, pdf)
                record(item_id, html, pdf, True)
                printed, done = printed + 1, done + 1
    except (RuntimeError, OSError, TimeoutError, WebSocketException) as exc:
        log.warning("batch PDF printing stopped (%s); printing the rest one browser at a time",
                    type(exc).__name__)
    for item_id, html, pdf in jobs[done:]:
        ok = render_pdf(html, pdf)
        record(item_id, html, pdf, ok)
        printed += ok
    return {"printed": printed, "enabled": True}
