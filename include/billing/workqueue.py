"""The billing work queue: what a person sees and does about a claim the pipeline stopped.

Reads (list, filter options, one item with its claim, lines, history, payer codes and the
claim's own segments of the 999/277CA/835/837) and actions (correct a field, assign,
resolve, release for (re)submission, write off, appeal packet). Every action runs in the
caller's transaction and leaves a claim event carrying the person (`user:<name>`); status
changes go through `status.set_status`. No Airflow here: a psycopg connection and values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg.rows import dict_row

from include.billing.carc import describe
from include.billing.ledger import assign_work_item, close_work_item, close_work_items, record_event
from include.billing.rcm_sql import query
from include.billing.status import set_status
from include.edi.registry import claim_slice

OPEN_STATES = ("open", "in_progress")
ALL_STATES = ("open", "in_progress", "resolved", "written_off")
PAGE_SIZE = 100

# Claims still ours to change: released as they are ('ready'). Claims the payer already has
# (it sent back its claim control number) are corrected with a frequency-7 replacement.
RELEASABLE = ("held", "rejected", "new")
WITH_PAYER = ("accepted", "pending", "denied", "paid", "partially_paid")

WRITE_OFF_REASONS = {
    "timely_filing": "Timely filing limit expired",
    "small_balance": "Small balance",
    "non_covered": "Non-covered service, not billable to the patient",
    "bundled": "Bundled into another service's payment (NCCI), not billable to the patient",
    "uncollectible": "Uncollectible after appeal",
    "administrative": "Administrative write-off (see note)",
}

# What each reason code means for the person fixing it, and which correction usually fixes it.
REASON_TEXT = {
    "DQ_MEMBER_ID": ("The policy has no usable member id.", "member_id"),
    "ELIG_INACTIVE": ("The payer says the coverage was not active on the date of service.", "member_id"),
    "ELIG_UNKNOWN": ("The payer could not find the member (check member id, name, birth date).", "member_id"),
    "ELIG_ERROR": ("The eligibility check failed; retry or verify coverage by phone.", None),
    "SCRUB_NPI": ("A provider NPI fails its check digit.", None),
    "SCRUB_ICD10_NOT_BILLABLE": ("A diagnosis code is not billable (it needs more digits).", "diagnosis"),
    "SCRUB_DX_POINTER": ("A line points at a diagnosis the claim does not have.", "dx_pointers"),
    "SCRUB_DOS_FUTURE": ("The date of service is in the future.", None),
    "SCRUB_TIMELY_FILING": ("The payer's timely filing limit has passed or is close.", None),
    "SCRUB_CPT_FORMAT": ("A procedure code is not a valid CPT/HCPCS code.", None),
    "SCRUB_MODIFIER": ("A modifier is invalid or does not fit the procedure.", "modifiers"),
    "SCRUB_MODIFIER_25": ("Modifier 25 is on a code that is not an E/M, or on an E/M with no other service "
                          "that day.", "modifiers"),
    "SCRUB_MODIFIER_59": ("Modifier 59 (or XE/XP/XS/XU) is on an E/M code.", "modifiers"),
    "SCRUB_TOTALS": ("The claim total does not equal the sum of its lines.", None),
    "SCRUB_DUPLICATE": ("The same service was already billed for this patient and date.", None),
    "SCRUB_PAYER_UNKNOWN": ("The payer has no clearinghouse payer id.", None),
    "ACK999_REJECTED": ("The clearinghouse rejected the 837 transaction set (999).", None),
    "ACK277CA_REJECTED": ("The payer or clearinghouse rejected the claim (277CA).", None),
    "RFAI_R0": ("Information requested: the payer asks for more information before it pays (277 R0).", None),
    "RFAI_R1": ("Information requested: the payer asks about an entity on the claim (277 R1).", None),
    "RFAI_R3": ("Information requested: the payer asks for claim/line documentation (277 R3).", None),
    "RFAI_R4": ("Information requested: the payer asks for documentation (277 R4).", None),
    "COB_COVERAGE_ORDER": ("Check the visit's coverage order before a new claim goes to the right payer.", None),
}
# CARCs whose usual fix is a field on the claim
CARC_FIX = {"16": None, "4": "modifiers", "11": "diagnosis", "167": "diagnosis", "31": "member_id",
            "197": "prior_authorization", "15": "prior_authorization", "27": "member_id"}

ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9A-Z]{1,5}$")
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9\-]{2,80}$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
PRIOR_AUTH_RE = re.compile(r"^[A-Za-z0-9\-]{1,50}$")

CORRECTABLE_FIELDS = ("member_id", "prior_authorization", "diagnosis", "modifiers", "dx_pointers", "procedure_code")
CPT_HCPCS_RE = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")


class ActionError(ValueError):
    """An action that cannot be done as asked; the message is safe to show (no PHI)."""


def load_query(name: str) -> str:
    """include/sql/queries/workqueue/<name>.sql, through the one loader."""
    return query("workqueue", name)


def _rows(conn, name: str, params: dict) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(load_query(name), params)
        return cur.fetchall()


def _one(conn, name: str, params: dict) -> dict | None:
    rows = _rows(conn, name, params)
    return rows[0] if rows else None


# --- reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters; None means any. assignee '' means unassigned."""

    source: str | None = None
    reason: str | None = None
    payer_id: int | None = None
    provider_id: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    assignee: str | None = None
    states: tuple[str, ...] = OPEN_STATES
    page: int = 1

    def params(self) -> dict:
        return {"source": self.source, "reason": self.reason, "payer_id": self.payer_id,
                "provider_id": self.provider_id, "min_age": self.min_age, "max_age": self.max_age,
                "assignee": self.assignee, "states": list(self.states), "limit": PAGE_SIZE,
                "offset": (max(self.page, 1) - 1) * PAGE_SIZE}


def list_items(conn, flt: QueueFilter) -> tuple[list[dict], int]:
    """Matching items sorted by due date, one page, and the number that match."""
    rows = _rows(conn, "list_items", flt.params())
    return rows, (int(rows[0]["total"]) if rows else 0)


def filter_options(conn, states=OPEN_STATES) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"source": [], "reason": [], "assignee": [], "payer": [], "provider": []}
    for r in _rows(conn, "filter_options", {"states": list(states)}):
        out[r["kind"]].append({"key": r["key"], "label": r["label"], "n": r["n"]})
    return out


def describe_carc(code: str) -> str:
    return describe("carc", code, "see the X12 CARC list")


def describe_rarc(code: str) -> str:
    return describe("rarc", code, "see the X12 RARC list")


def explain(item: dict, adjustments: list[dict]) -> list[dict]:
    """Plain-language findings for an item: its reason, the CARC/RARC codes, the failed checks."""
    out = []
    code = item["reason_code"]
    if code in REASON_TEXT:
        out.append({"code": code, "text": REASON_TEXT[code][0]})
    elif code.startswith("DQ_"):
        out.append({"code": code, "text": f"Data quality: {code[3:].replace('_', ' ').lower()} is missing or invalid."})
    m = re.match(r"^CARC_([A-Z]{2})-(\w+)$", code)
    if m:
        out.append({"code": f"{m[1]}-{m[2]}", "text": describe_carc(m[2])})
    seen = set()
    for a in adjustments:
        key = (a["group_code"], a["reason_code"])
        if key not in seen and a["group_code"] != "PR":
            seen.add(key)
            out.append({"code": f"{a['group_code']}-{a['reason_code']}", "text": describe_carc(a["reason_code"]),
                         "amount": a["amount"]})
        for r in a["remark_codes"] or []:
            if ("RARC", r) not in seen:
                seen.add(("RARC", r))
                out.append({"code": r, "text": describe_rarc(r)})
    for c in (item.get("details") or {}).get("codes") or []:     # as include.billing.denials routes them
        if not isinstance(c, dict) or "-" not in str(c.get("code", "")):
            continue
        group, _, carc = c["code"].partition("-")
        if (group, carc) not in seen:
            seen.add((group, carc))
            out.append({"code": c["code"], "text": describe_carc(carc), "amount": c.get("amount")})
        for r in c.get("rarcs") or []:
            if ("RARC", r) not in seen:
                seen.add(("RARC", r))
                out.append({"code": r, "text": describe_rarc(r)})
    for key in ("carc", "rarc", "rarcs", "remark_codes"):
        val = (item.get("details") or {}).get(key)
        for c in ([val] if isinstance(val, str) else val or []):
            if c and ("RARC", c) not in seen and ("X", c) not in seen:
                seen.add(("X", c))
                out.append({"code": c, "text": describe_carc(c) if key == "carc" else describe_rarc(c)})
    out.append({"code": "", "text": item["explanation"]})
    return out


def suggested_fix(item: dict) -> str | None:
    code = item["reason_code"]
    if code in REASON_TEXT:
        return REASON_TEXT[code][1]
    m = re.match(r"^CARC_[A-Z]{2}-(\w+)$", code)
    return CARC_FIX.get(m[1]) if m else None


def get_item(conn, item_id: int) -> dict | None:
    """Everything the item page shows."""
    item = _one(conn, "item", {"item_id": item_id})
    if item is None:
        return None
    claim_id = item["claim_id"]
    item["lines"] = _rows(conn, "claim_lines", {"claim_id": claim_id}) if claim_id else []
    item["events"] = _rows(conn, "claim_events", {"claim_id": claim_id}) if claim_id else []
    adjustments = _rows(conn, "claim_adjustments", {"claim_id": claim_id}) if claim_id else []
    item["adjustments"] = adjustments
    item["findings"] = explain(item, adjustments)
    item["suggested_fix"] = suggested_fix(item)
    item["excerpt"] = edi_excerpt(conn, item) if claim_id else None
    item["other_open"] = _rows(conn, "other_open_items", {"claim_id": claim_id, "item_id": item_id}) if claim_id else []
    return item


# --- the claim's segments of an EDI file ------------------------------------------------

def edi_excerpt(conn, item: dict) -> dict | None:
    """The claim's segments of the file behind the item (else its latest 835 or 837).

    Reads and parses only the claim's bytes (and its interchange's ISA), which were recorded
    when the file was posted, sent or applied (include.billing.edi_slices): a 100 MB 835 costs
    the page one claim, not the file.
    """
    files = _rows(conn, "claim_files", {"claim_id": item["claim_id"]})
    file_id = item["edi_file_id"] or (files[0]["id"] if files else None)
    if file_id is None:
        return None
    f = _one(conn, "edi_file_meta", {"file_id": file_id})
    if f is None:
        return None
    result = {"file_id": f["id"], "file_name": f["file_name"], "transaction_type": f["transaction_type"],
              "segments": [], "error": None}
    try:
        if f["sliced"]:
            from .edi_slices import read_claim_segments

            segs = read_claim_segments(conn, f["id"], item["claim_id"]) or []
        else:
            # A file stored before migration 0017 has no recorded places (billing.edi_claim_slices
            # is empty for it): only for such files the page still reads and parses the whole file.
            st_control = next((x["transaction_control_number"] for x in files if x["transaction_control_number"]),
                              None)
            content = _one(conn, "edi_file", {"file_id": file_id})["content"]
            segs = claim_slice(bytes(content), item["claim_number"], control_number=st_control)
        result["segments"] = [s.to_text() for s in segs]
    except Exception as exc:   # a broken file still lets the page render; say why
        result["error"] = f"{f['file_name']}: cannot be read ({type(exc).__name__})"
    return result


# --- actions -----------------------------------------------------------------------------

def _lock(conn, item_id: int) -> dict:
    item = _one(conn, "lock_item", {"item_id": item_id})
    if item is None:
        raise ActionError(f"work item {item_id} does not exist")
    return item


def _event(conn, claim_id: int | None, event_type: str, actor: str, detail: dict) -> None:
    if claim_id is not None:
        record_event(conn, claim_id, event_type, actor=actor, detail=detail)


def _need_open(item: dict) -> None:
    if item["state"] not in OPEN_STATES:
        raise ActionError(f"work item {item['id']} is already {item['state']}")


def _need_claim(item: dict) -> int:
    if item["claim_id"] is None:
        raise ActionError(f"work item {item['id']} is not about a claim")
    return item["claim_id"]


def assign(conn, item_id: int, assignee: str | None, *, actor: str) -> None:
    item = _lock(conn, item_id)
    _need_open(item)
    assignee = (assignee or "").strip() or None
    if assignee is not None and not re.fullmatch(r"[\w.@\-]{1,80}", assignee):
        raise ActionError("an assignee is a user name (letters, digits, . _ - @)")
    assign_work_item(conn, item_id, assignee)
    _event(conn, item["claim_id"], "work_item_assigned", actor,
           {"work_item_id": item_id, "assignee": assignee, "previous": item["assignee"]})


def resolve(conn, item_id: int, *, actor: str, note: str = "") -> None:
    item = _lock(conn, item_id)
    _need_open(item)
    close_work_item(conn, item_id, resolution="resolved", actor=actor)
    _event(conn, item["claim_id"], "work_item_resolved", actor,
           {"work_item_id": item_id, "reason_code": item["reason_code"], "note": note[:500]})


def _parse_int_list(value: str, what: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ActionError(f"{what} must be numbers separated by commas") from None


def correct(conn, item_id: int, field: str, value: str, *, actor: str, line_number: int | None = None,
            position: int | None = None) -> dict:
    """Correct one field that caused the problem; returns the event detail.

    member_id and prior_authorization change the PM row (the source the next 837 reads);
    diagnosis, modifiers and dx_pointers change the claim snapshot. The event records what
    changed; member ids are PHI, so the event says only that it changed.
    """
    item = _lock(conn, item_id)
    _need_open(item)
    claim_id = _need_claim(item)
    named = named_field(item)
    if named and field != named:
        raise ActionError(f"work item {item_id} asks for a correction of {named.replace('_', ' ')}, "
                          f"not {field.replace('_', ' ')}")
    value = (value or "").strip()
    detail: dict[str, Any] = {"work_item_id": item_id, "field": field}
    if field == "member_id":
        if not MEMBER_ID_RE.fullmatch(value):
            raise ActionError("a member id is 2–80 letters, digits or dashes")
        if conn.execute(load_query("set_member_id"), {"claim_id": claim_id, "value": value}).fetchone() is None:
            raise ActionError(f"claim {claim_id} has no insurance policy to correct")
    elif field == "prior_authorization":
        if value and not PRIOR_AUTH_RE.fullmatch(value):
            raise ActionError("a prior authorization number is 1–50 letters, digits or dashes")
        conn.execute(load_query("set_prior_authorization"), {"claim_id": claim_id, "value": value or None})
    elif field == "diagnosis":
        code = value.replace(".", "").upper()
        if not ICD10_RE.fullmatch(code):
            raise ActionError("an ICD-10-CM code is a letter, two digits and up to four more characters")
        row = conn.execute("SELECT diagnosis_codes FROM billing.claims WHERE id = %s FOR UPDATE",
                           (claim_id,)).fetchone()
        codes = list(row[0] or [])
        pos = position or 1
        if not 1 <= pos <= min(len(codes) + 1, 12):
            raise ActionError(f"diagnosis position must be between 1 and {min(len(codes) + 1, 12)}")
        before = codes[pos - 1] if pos <= len(codes) else None
        if pos <= len(codes):
            codes[pos - 1] = code
        else:
            codes.append(code)
        conn.execute(load_query("set_claim_diagnoses"), {"claim_id": claim_id, "codes": codes})
        detail.update(position=pos, changed=before != code)
    elif field in ("modifiers", "dx_pointers", "procedure_code"):
        if line_number is None:
            raise ActionError("say which line to correct")
        if field == "procedure_code":
            code = value.upper()
            if not CPT_HCPCS_RE.fullmatch(code):
                raise ActionError("a procedure code is a CPT code (5 characters) or a HCPCS code (letter + 4 digits)")
            row = conn.execute(load_query("set_line_procedure"),
                               {"claim_id": claim_id, "line_number": line_number, "code": code}).fetchone()
        elif field == "modifiers":
            mods = [m.upper() for m in re.split(r"[\s,]+", value) if m]
            if len(mods) > 4 or not all(MODIFIER_RE.fullmatch(m) for m in mods):
                raise ActionError("up to four modifiers of two letters or digits")
            row = conn.execute(load_query("set_line_modifiers"),
                               {"claim_id": claim_id, "line_number": line_number, "modifiers": mods}).fetchone()
        else:
            pointers = _parse_int_list(value, "diagnosis pointers")
            n_dx = len(conn.execute("SELECT diagnosis_codes FROM billing.claims WHERE id = %s",
                                    (claim_id,)).fetchone()[0] or [])
            if not 1 <= len(pointers) <= 4 or not all(1 <= p <= n_dx for p in pointers):
                raise ActionError(f"one to four pointers, each between 1 and {n_dx} (the claim's diagnoses)")
            row = conn.execute(load_query("set_line_dx_pointers"),
                               {"claim_id": claim_id, "line_number": line_number, "pointers": pointers}).fetchone()
        if row is None:
            raise ActionError(f"claim {claim_id} has no line {line_number}")
        detail.update(line_number=line_number, before=list(row[0]), after=list(row[1]))
    else:
        raise ActionError(f"cannot correct {field!r}; one of: {', '.join(CORRECTABLE_FIELDS)}")
    if item["state"] == "open":
        assign_work_item(conn, item_id, actor.removeprefix("user:"))
    _event(conn, claim_id, "corrected", actor, detail)
    return detail


def named_field(item: dict) -> str | None:
    """The one field a correction of this item may change (None: the item does not say).

    A denial item names it from its route (include/billing/codes/denial_routes.csv, column fix):
    the payer adjudicated the claim, and a replacement changes only what the denial is about.
    Items found before sending (data quality, scrubbing) only suggest a field (REASON_TEXT): the
    person fixing a held claim may correct whatever the claim needs before it first goes out."""
    fix = (item.get("details") or {}).get("fix") if item.get("source") == "denial" else None
    return fix if fix in CORRECTABLE_FIELDS else None


def create_replacement_claim(conn, claim_id: int, *, actor: str, detail: dict | None = None,
                             today: date | None = None) -> int:
    """A frequency-7 replacement of a claim the payer has, ready for the next 837 batch.

    The original moves to 'replaced'; the copy (version + 1, claim number with the new
    version, lines with their new REF*6R ids) carries replaces_claim_id and the payer's
    claim control number for REF*F8. Re-running returns the existing replacement.
    """
    c = _one(conn, "claim_versions", {"claim_id": claim_id})
    if c is None:
        raise ActionError(f"claim {claim_id} does not exist")
    version = int(c["max_version"]) + 1
    number = f"{c['visit_number']}{c['responsibility']}{version}"
    row = conn.execute(load_query("insert_replacement_claim"),
                       {"claim_id": claim_id, "claim_number": number, "version": version}).fetchone()
    if row is None:
        raise ActionError(f"claim {claim_id}: a replacement version {version} already exists")
    new_id = row[0]
    conn.execute(load_query("copy_replacement_lines"),
                 {"new_claim_id": new_id, "claim_id": claim_id, "claim_number": number})
    info = {**(detail or {}), "replaces_claim_id": claim_id, "replacement_claim_id": new_id,
            "replacement_claim_number": number}
    record_event(conn, new_id, "created", actor=actor, from_status=None, detail=info)
    _release_new(conn, new_id, actor=actor, detail=info, today=today)
    set_status(conn, claim_id, "replaced", actor=actor, event_type="replaced", detail=info)
    return new_id


def create_new_claim(conn, claim_id: int, *, actor: str, detail: dict | None = None,
                     today: date | None = None) -> int:
    """A new claim (frequency 1) for a denied claim's visit, to the payer the visit's coverage
    order names now for the claim's responsibility (primary, secondary, tertiary on the date of
    service), ready for the next 837 batch. No REF*F8: it replaces nothing at the payer. The
    denied claim moves to 'replaced' (the new one carries replaces_claim_id as our own link)."""
    c = _one(conn, "claim_versions", {"claim_id": claim_id})
    if c is None:
        raise ActionError(f"claim {claim_id} does not exist")
    version = int(c["max_version"]) + 1
    number = f"{c['visit_number']}{c['responsibility']}{version}"
    row = conn.execute(load_query("insert_new_claim"),
                       {"claim_id": claim_id, "claim_number": number, "version": version}).fetchone()
    if row is None:
        raise ActionError(f"claim {claim_id}: no policy of this responsibility covers the date of service "
                          f"(or version {version} exists); update the visit's coverage first")
    new_id, payer_id = row
    conn.execute(load_query("copy_replacement_lines"),
                 {"new_claim_id": new_id, "claim_id": claim_id, "claim_number": number})
    info = {**(detail or {}), "replaces_claim_id": claim_id, "new_claim_id": new_id, "new_claim_number": number,
            "frequency_code": "1", "payer_id": payer_id}
    record_event(conn, new_id, "created", actor=actor, from_status=None, detail=info)
    _release_new(conn, new_id, actor=actor, detail=info, today=today)
    set_status(conn, claim_id, "replaced", actor=actor, event_type="replaced_by_new_claim", detail=info)
    return new_id


def _scrub(conn, claim_id: int, today: date | None):
    """The scrubber's rules (the same query the scrubbing step runs) over this one claim, whatever its status."""
    from include.billing.scrub import scrub_claims_sql

    found = scrub_claims_sql(conn, [claim_id], today or date.today()).get(claim_id)
    if found is None:      # its values changed between the two statements of the scrub: not judged
        raise ActionError(f"claim {claim_id} could not be scrubbed (missing, or changed meanwhile); try again")
    return found, found.findings


def _release_new(conn, claim_id: int, *, actor: str, detail: dict, today: date | None = None) -> list[str]:
    """A corrected or new claim goes through the full scrubber before release: clean → 'ready';
    a finding → 'held' with its work item (include.billing.scrub). Returns the finding codes."""
    from include.billing.claims import WorkItem, hold_claims

    claim, findings = _scrub(conn, claim_id, today)
    if findings:
        items, seen = [], set()
        for f in findings:
            if f.code not in seen:
                seen.add(f.code)
                items.append(WorkItem(claim_id=claim_id, source="scrubbing", reason_code=f.code,
                                      explanation=f.message, details={"claim_number": claim.claim_number}))
        hold_claims(conn, items, actor=actor, stage="scrubbing")
        return sorted(seen)
    set_status(conn, claim_id, "ready", actor=actor, event_type="released", detail={**detail, "scrubbed": True})
    return []


def release(conn, item_id: int, *, actor: str, today: date | None = None) -> dict:
    """Release the item's claim for (re)submission and resolve the item.

    Held/rejected claims go back to 'ready' (the next claims_submission run sends them);
    a claim the payer already has becomes a frequency-7 replacement, or a new claim
    (frequency 1) when the denial's route says so (include/billing/codes/denial_routes.csv).
    Refused while the claim has other open items: each finding must be dealt with first.
    """
    item = _lock(conn, item_id)
    _need_open(item)
    claim_id = _need_claim(item)
    others = _rows(conn, "other_open_items", {"claim_id": claim_id, "item_id": item_id})
    if others:
        raise ActionError(f"claim {claim_id} has {len(others)} other open work item(s) "
                          f"({', '.join(o['reason_code'] for o in others)}); resolve them first")
    status = item["claim_status"]
    detail = {"work_item_id": item_id, "reason_code": item["reason_code"]}
    action = (item.get("details") or {}).get("action")
    if action == "new_claim" and status in WITH_PAYER:
        new_id = create_new_claim(conn, claim_id, actor=actor, detail=detail, today=today)
        result = {"claim_id": claim_id, "status": "replaced", "replacement_claim_id": new_id}
    elif status in RELEASABLE:
        if status == "new":
            raise ActionError(f"claim {claim_id} has not been checked yet; the next run will do it")
        _, findings = _scrub(conn, claim_id, today)      # a corrected claim passes the full scrubber first
        if findings:
            raise ActionError(f"claim {claim_id} still fails the scrubber: "
                              + " ".join(f"{f.code}: {f.message}" for f in findings))
        set_status(conn, claim_id, "ready", actor=actor, event_type="released", detail=detail)
        result = {"claim_id": claim_id, "status": "ready", "replacement_claim_id": None}
    elif status in WITH_PAYER:
        if not item["payer_claim_control_number"]:
            raise ActionError(f"claim {claim_id} is {status} but the payer's claim number is unknown; "
                              "a replacement needs it (REF*F8)")
        new_id = create_replacement_claim(conn, claim_id, actor=actor, detail=detail, today=today)
        result = {"claim_id": claim_id, "status": "replaced", "replacement_claim_id": new_id}
    else:
        raise ActionError(f"claim {claim_id} is {status}; only held, rejected or adjudicated claims can be released")
    close_work_item(conn, item_id, resolution="resolved", actor=actor)
    _event(conn, claim_id, "work_item_resolved", actor, {**detail, "action": "release", **result})
    return result


def write_off(conn, item_id: int, reason: str, *, actor: str, note: str = "") -> None:
    """Write off the claim's payer balance: status 'written_off', every open item of it closed."""
    if reason not in WRITE_OFF_REASONS:
        raise ActionError(f"write-off reason must be one of: {', '.join(WRITE_OFF_REASONS)}")
    if reason == "administrative" and not note.strip():
        raise ActionError("an administrative write-off needs a note")
    item = _lock(conn, item_id)
    _need_open(item)
    claim_id = _need_claim(item)
    detail = {"work_item_id": item_id, "reason": reason, "reason_text": WRITE_OFF_REASONS[reason],
              "note": note[:500]}
    if not set_status(conn, claim_id, "written_off", actor=actor, event_type="written_off", detail=detail):
        raise ActionError(f"claim {claim_id} is {item['claim_status']} and cannot be written off")
    close_work_items(conn, resolution="written_off", actor=actor, claim_ids=[claim_id])


def appeal_packet(conn, item_id: int, *, actor: str, today: date | None = None) -> dict:
    """An appeal packet for a denied claim, and an event saying who produced it.

    Denial items routed by include.billing.denials carry their CARC/RARC codes; for those the
    denials engineer's letter (include.billing.appeals.build_appeal_packet: HTML, and a PDF
    when enabled, written 0600) is the packet. Other items get the page's own summary letter.
    """
    today = today or date.today()
    item = get_item(conn, item_id)
    if item is None:
        raise ActionError(f"work item {item_id} does not exist")
    _need_claim(item)
    denied = [a for a in item["adjustments"] if a["group_code"] in ("CO", "OA", "PI")]
    packet = {
        "today": today, "item": item, "claim_number": item["claim_number"],
        "codes": [f for f in item["findings"] if f["code"]],
        "denied_amount": sum((a["amount"] for a in denied), Decimal("0")),
        "lines": item["lines"], "letter_html": None, "files": [],
    }
    if (item.get("details") or {}).get("codes"):
        from include.billing.appeals import build_appeal_packet
        from include.billing.artefacts import load as load_artefact

        built = build_appeal_packet(conn, item_id, today=today)
        packet["files"] = [Path(f).name for f in built["files"]]
        letter = next((i for name, i in built["artefacts"].items() if name.endswith(".html")), None)
        # the letter as stored (the artefact store), not a file on this server's disk
        packet["letter_html"] = load_artefact(conn, letter).content.decode() if letter else None
    _event(conn, item["claim_id"], "appeal_packet", actor,
           {"work_item_id": item_id, "codes": [f["code"] for f in packet["codes"]], "files": packet["files"]})
    return packet


# --- the dashboard's own figures (the KPIs come from include.billing.reports) ---------------

def dashboard_activity(conn, day_start, day_end) -> dict[str, list[dict]]:
    p = {"day_start": day_start, "day_end": day_end}
    activity: dict[str, list[dict]] = {}
    for r in _rows(conn, "dashboard_activity", p):
        activity.setdefault(r["kind"], []).append(r)
    return {
        "activity": activity,
        "files": _rows(conn, "dashboard_files", p),
        "batches": _rows(conn, "dashboard_batches", p),
        "queue": _rows(conn, "dashboard_queue_summary", {}),
    }
