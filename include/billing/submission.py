"""Batch ready claims into 837P files and deliver each file to the clearinghouse exactly once.

The protocol (each step is safe to repeat; a crash between any two steps loses and
duplicates nothing):

1. `plan_batches` (one transaction): ready claims that no live batch holds are grouped by
   trading partner (pm.payers.clearinghouse) and payer, at most `max_claims_per_file` per
   batch. Each batch gets its control numbers from billing.control_numbers (UPDATE ...
   RETURNING), a deterministic batch_key (partner, payer, hash of its claim ids) and a file
   name made from its interchange control number, state `planned`, and its batch_claims rows.
   Batches still `planned` or `uploading` from an earlier run are returned again (resumed);
   their claims are never planned into a second batch.
2. `send_batch`, intent: a `planned` batch is built with include.edi.build_837p from the
   database and the batch's stored creation time (so a rebuild is byte-identical), validated
   with pyx12 (include.edi.validate_x12); a file with error findings is not sent (batch
   `failed`, its claims get a work item). The bytes go to billing.edi_files (sha256) and the
   batch becomes `uploading`: committed before anything leaves.
3. Upload: `inbound/NAME.part`, then rename to `inbound/NAME`, so the clearinghouse never sees
   a partial file. When NAME is already there (or in the archive folder) with the same size,
   an earlier attempt delivered it after all: it is not uploaded again.
4. Outcome (one transaction): batch `uploaded`, edi file `sent`, claims `submitted` (one
   event per claim with the dedupe key `submitted:<batch id>:<claim id>`), claims.submitted_at.

Fault injection for tests: a named point raises `InjectedFault` when its name is in the
module-level set `FAULTS` or in the comma-separated env var BILLING_SUBMISSION_FAULTS.
Points: after_plan (plan committed), before_upload (intent committed), mid_upload (NAME.part
written, not renamed), after_upload (NAME renamed, outcome not committed), after_commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from decimal import Decimal

from include.billing.claims import WorkItem, allocate_control_numbers, move_claims, open_work_items, store_edi_file
from include.billing.settings import SubmissionSettings, submission_query
from include.billing.settings import load as load_settings
from include.billing.transport import RemoteFiles, upload_atomically

FAULT_POINTS = ("after_plan", "before_upload", "mid_upload", "after_upload", "after_commit")
FAULTS: set[str] = set()


class InjectedFault(RuntimeError):
    """Raised at a named fault point (tests only)."""


def fault_point(name: str) -> None:
    env = {x.strip() for x in os.environ.get("BILLING_SUBMISSION_FAULTS", "").split(",") if x.strip()}
    if name in FAULTS or name in env:
        raise InjectedFault(f"injected fault at {name}")


# --------------------------------------------------------------------------- planning

def plan_batches(conn, *, max_claims_per_file: int = 5000) -> list[int]:
    """Plan batches for ready claims (committing), return ids of every batch still to send."""
    if max_claims_per_file < 1:
        raise ValueError("max_claims_per_file must be at least 1")
    # one planner at a time: two concurrent runs must not plan the same claims twice
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('billing.plan_batches'))")
    groups: dict[tuple[str, int], list[tuple[int, Decimal]]] = {}
    for partner, payer_id, claim_id, charge in conn.execute(submission_query("ready_unbatched")).fetchall():
        groups.setdefault((partner, payer_id), []).append((claim_id, charge))
    for (partner, payer_id), claims in groups.items():
        for i in range(0, len(claims), max_claims_per_file):
            chunk = claims[i:i + max_claims_per_file]
            ids = [c[0] for c in chunk]
            digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:24]
            icn = allocate_control_numbers(conn, partner, "interchange")
            gcn = allocate_control_numbers(conn, partner, "group")
            stcn = allocate_control_numbers(conn, partner, "transaction")
            row = conn.execute(
                """INSERT INTO billing.submission_batches
                       (batch_key, trading_partner, payer_id, interchange_control_number, group_control_number,
                        transaction_control_number, file_name, state, claim_count, total_charge)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, 'planned', %s, %s)
                   ON CONFLICT (batch_key) DO NOTHING
                   RETURNING id""",
                (f"837P:{partner}:{payer_id}:{digest}", partner, payer_id, icn, gcn, stcn,
                 f"837P_{partner.upper()}_{icn:09d}.x12", len(ids), sum((c[1] for c in chunk), Decimal(0))),
            ).fetchone()
            if row is None:
                continue
            conn.execute("""INSERT INTO billing.batch_claims (batch_id, claim_id)
                            SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING""", (row[0], ids))
    batch_ids = [r[0] for r in conn.execute(
        "SELECT id FROM billing.submission_batches WHERE state IN ('planned', 'uploading') "
        "AND transaction_type = '837P' ORDER BY id").fetchall()]
    conn.commit()
    fault_point("after_plan")
    return batch_ids


# --------------------------------------------------------------------------- building

def _addr(line1, city, state, zip_):
    from include.edi.model import Address

    return Address(line1=line1, city=city, state=state, zip=zip_) if line1 else None


def load_claims_837(conn, batch_id: int) -> list:
    """Claim837 objects for the claims of one batch, from the ledger and the PM data."""
    from include.edi.model import Claim837, PatientDependent, Payer, Provider, ServiceLine, Subscriber

    lines: dict[int, list] = {}
    line_numbers: dict[int, list[int]] = {}
    for r in conn.execute(submission_query("batch_lines_837"), {"batch_id": batch_id}).fetchall():
        lines.setdefault(r[0], []).append(ServiceLine(
            line_control_number=r[2], procedure_code=r[3], modifiers=list(r[4] or []), units=r[5],
            charge=r[6], dx_pointers=list(r[7] or []), service_date=r[8], ndc=r[9]))
        line_numbers.setdefault(r[0], []).append(r[1])
    claims = []
    secondary: dict[int, object] = {}
    for r in conn.execute(submission_query("batch_claims_837"), {"batch_id": batch_id}).fetchall():
        (cid, number, total, dx, freq, pccn, pos, prior_auth, onset, acc_type, acc_state, acc_date,
         bp_name, bp_npi, bp_tax, bp_tax_code, bp_a1, bp_city, bp_state, bp_zip,
         pt_a1, pt_city, pt_state, pt_zip,
         member_id, group, rel, s_last, s_first, s_birth, s_sex, s_a1, s_city, s_state, s_zip,
         py_name, py_ident, py_cfi, py_a1, py_city, py_state, py_zip,
         p_last, p_first, p_birth, p_sex, p_a1, p_city, p_state, p_zip,
         r_last, r_first, r_npi, r_tax, f_last, f_first, f_npi,
         fac_name, fac_npi, fac_a1, fac_city, fac_state, fac_zip, responsibility) = r
        billing = Provider(org_name=bp_name, npi=bp_npi, taxonomy=bp_tax_code, tax_id=bp_tax,
                           address=_addr(bp_a1, bp_city, bp_state, bp_zip))
        pay_to = Provider(org_name=bp_name, address=_addr(pt_a1, pt_city, pt_state, pt_zip)) if pt_a1 else None
        subscriber = Subscriber(member_id=member_id, last_name=s_last, first_name=s_first, birth_date=s_birth,
                                sex=s_sex, address=_addr(s_a1, s_city, s_state, s_zip), group_number=group,
                                relationship_code=rel or "18", claim_filing_indicator=py_cfi,
                                payer_responsibility=responsibility)
        patient = None
        if rel and rel != "18":
            patient = PatientDependent(last_name=p_last, first_name=p_first, birth_date=p_birth, sex=p_sex,
                                       relationship_code=rel, address=_addr(p_a1, p_city, p_state, p_zip))
        claims.append(Claim837(
            claim_id=number, total_charge=total, place_of_service=pos, billing_provider=billing,
            subscriber=subscriber, payer=Payer(name=py_name, payer_id=py_ident,
                                               address=_addr(py_a1, py_city, py_state, py_zip)),
            lines=lines.get(cid, []), diagnosis_codes=list(dx or []), frequency_code=freq,
            payer_claim_control_number=pccn, prior_authorization=prior_auth, onset_date=onset,
            accident_type=acc_type, accident_state=acc_state, accident_date=acc_date, patient=patient,
            rendering_provider=Provider(last_name=r_last, first_name=r_first, npi=r_npi, taxonomy=r_tax)
            if r_npi else None,
            referring_provider=Provider(last_name=f_last, first_name=f_first, npi=f_npi) if f_npi else None,
            service_facility=Provider(org_name=fac_name, npi=fac_npi,
                                      address=_addr(fac_a1, fac_city, fac_state, fac_zip)) if fac_name else None,
            pay_to=pay_to))
        if responsibility != "P":
            secondary[cid] = claims[-1]
    if secondary:
        _add_other_payers(conn, secondary, lines, line_numbers)
    return claims


def _add_other_payers(conn, secondary: dict, lines: dict, line_numbers: dict) -> None:
    """Secondary claims carry the primary payer's adjudication: 2320/2330 per claim, 2430 per line."""
    from include.billing.posting import other_payers_837

    for cid, (other_payers, line_adjudications) in other_payers_837(conn, list(secondary)).items():
        secondary[cid].other_payers = other_payers
        for line, number in zip(lines.get(cid, []), line_numbers.get(cid, [])):
            line.adjudications = line_adjudications.get(number, [])


def build_batch_file(conn, batch: dict, settings: SubmissionSettings) -> bytes:
    """The 837P bytes of a batch: deterministic from the database and the batch's creation time."""
    from include.edi.model import Receiver, Submitter
    from include.edi.x837p import build_837p

    created = batch["created_at"].astimezone(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    return build_837p(
        load_claims_837(conn, batch["id"]),
        submitter=Submitter(name=settings.submitter_name, id=settings.submitter_id,
                            contact_name=settings.submitter_contact, phone=settings.submitter_phone),
        receiver=Receiver(name=settings.receiver_name, id=batch["trading_partner"].upper()),
        interchange_control_number=batch["interchange_control_number"],
        group_control_number=batch["group_control_number"],
        first_transaction_control_number=batch["transaction_control_number"],
        max_claims_per_transaction=5000, usage_indicator=settings.usage_indicator, created=created)


# --------------------------------------------------------------------------- sending

_BATCH_COLS = ("id", "trading_partner", "payer_id", "interchange_control_number", "group_control_number",
               "transaction_control_number", "file_name", "state", "edi_file_id", "created_at", "claim_count")


def _batch(conn, batch_id: int) -> dict:
    row = conn.execute(submission_query("batch_by_id"), (batch_id,)).fetchone()
    if row is None:
        raise LookupError(f"submission batch {batch_id} does not exist")
    return dict(zip(_BATCH_COLS, row))


def _claim_ids(conn, batch_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT claim_id FROM billing.batch_claims WHERE batch_id = %s ORDER BY 1",
                                       (batch_id,)).fetchall()]


def _record_claim_slices(conn, file_id: int, data: bytes) -> None:
    """Where each claim (with its subscriber/patient HL loops) is in the stored 837P: the Billing
    UI reads only those bytes (include.billing.edi_slices)."""
    from include.billing.edi_slices import record_by_claim_number, scan
    from include.edi.errors import X12Error

    try:
        slices = scan(data, "837P")
    except X12Error:       # our own writer's bytes; should one not read, the page parses the file whole
        return
    record_by_claim_number(conn, file_id, slices)


def _fail_batch(conn, batch: dict, data: bytes, findings, actor: str) -> None:
    # codes and positions only: pyx12 messages may quote element values (PHI)
    summary = "; ".join(sorted({f"{f.code} at {f.segment or '?'}{'/' + f.element if f.element else ''}"
                                for f in findings}))[:2000]
    file_id = store_edi_file(conn, direction="out", transaction_type="837P", file_name=batch["file_name"],
                             content=data, origin=actor, partner=batch["trading_partner"], state="held")
    _record_claim_slices(conn, file_id, data)
    conn.execute("UPDATE billing.edi_files SET error = %s WHERE id = %s", (summary, file_id))
    conn.execute("UPDATE billing.submission_batches SET state = 'failed', edi_file_id = %s WHERE id = %s",
                 (file_id, batch["id"]))
    open_work_items(conn, [WorkItem(
        claim_id=cid, source="submission", reason_code="SUBMIT_837_INVALID",
        explanation=(f"The 837P file {batch['file_name']} holding this claim failed pyx12 validation "
                     f"({len(findings)} error(s): {summary[:300]}); it was not sent. Fix the data and release "
                     f"the claim to send it in a new batch."),
        details={"batch_id": batch["id"], "file_name": batch["file_name"]})
        for cid in _claim_ids(conn, batch["id"])])


def send_batch(conn, batch_id: int, *, remote: RemoteFiles, actor: str,
               settings: SubmissionSettings | None = None) -> dict:
    """Build, validate, store and deliver one batch (see the module docstring). Returns counts only."""
    from include.edi.validate import errors_only, validate_x12

    settings = settings or load_settings()
    batch = _batch(conn, batch_id)
    result = {"batch_id": batch_id, "file_name": batch["file_name"], "claims": batch["claim_count"],
              "validate_seconds": 0.0, "build_seconds": 0.0, "upload": None}
    if batch["state"] not in ("planned", "uploading"):
        result["state"] = batch["state"]
        conn.commit()
        return result
    if batch["state"] == "planned":
        t0 = time.perf_counter()
        data = build_batch_file(conn, batch, settings)
        t1 = time.perf_counter()
        errors = errors_only(validate_x12(data, batch["file_name"]))
        result["build_seconds"] = round(t1 - t0, 3)
        result["validate_seconds"] = round(time.perf_counter() - t1, 3)
        if errors:
            _fail_batch(conn, batch, data, errors, actor)
            conn.commit()
            result.update(state="failed", validation_errors=len(errors))
            return result
        file_id = store_edi_file(conn, direction="out", transaction_type="837P", file_name=batch["file_name"],
                                 content=data, origin=actor, partner=batch["trading_partner"], state="uploading")
        _record_claim_slices(conn, file_id, data)
        conn.execute("UPDATE billing.submission_batches SET state = 'uploading', edi_file_id = %s "
                     "WHERE id = %s AND state = 'planned'", (file_id, batch_id))
    else:
        file_id = batch["edi_file_id"]
        data = bytes(conn.execute("SELECT content FROM billing.edi_files WHERE id = %s", (file_id,)).fetchone()[0])
    conn.commit()                                   # intent recorded before anything leaves
    fault_point("before_upload")

    result["upload"] = upload_atomically(remote, data, settings.sftp_inbound, batch["file_name"],
                                         also_look_in=(settings.sftp_archive,),
                                         before_rename=lambda: fault_point("mid_upload"))
    fault_point("after_upload")

    conn.execute("UPDATE billing.submission_batches SET state = 'uploaded', uploaded_at = billing.clock() "
                 "WHERE id = %s AND state = 'uploading'", (batch_id,))
    conn.execute("UPDATE billing.edi_files SET state = 'sent', processed_at = billing.clock() "
                 "WHERE id = %s AND state IN ('stored', 'uploading')", (file_id,))
    moved = move_claims(conn, _claim_ids(conn, batch_id), from_status="ready", to_status="submitted",
                        actor=actor, event_type="submitted", dedupe_prefix=f"submitted:{batch_id}",
                        source_file_id=file_id,
                        detail_by_claim=None)
    conn.execute("UPDATE billing.claims SET submitted_at = billing.clock() WHERE id = ANY(%s)", (moved,))
    conn.commit()
    fault_point("after_commit")
    result.update(state="uploaded", claims_submitted=len(moved))
    return result


# --------------------------------------------------------------------------- the whole pipeline

def run_pipeline(conn, *, remote: RemoteFiles, eligibility_transport, actor: str = "cli:claims_submission",
                 high_water: dt.datetime | None = None, today: dt.date | None = None, run_id: str | None = None,
                 max_claims_per_file: int | None = None, settings: SubmissionSettings | None = None) -> dict:
    """Every step of the claims_submission DAG in order, without Airflow (CLI, demo, notebooks).

    Commits after each step like the DAG's tasks do. Returns each step's counts.
    """
    from include.billing import claims, data_quality, eligibility, scrub

    settings = settings or load_settings()
    high_water = high_water or dt.datetime.now(dt.timezone.utc)
    today = today or high_water.date()
    out: dict = {}
    out["pick_up_visits"] = claims.pick_up_visits(conn, high_water=high_water, actor=actor)
    conn.commit()
    out["build_claims"] = claims.build_claims(conn, actor=actor)
    conn.commit()
    out["data_quality"] = data_quality.check_new_claims(
        conn, actor=actor, run_id=run_id or f"cli__{high_water:%Y-%m-%dT%H%M%S}")
    conn.commit()
    out["eligibility"] = eligibility.check_new_claims(
        conn, transport=eligibility_transport, actor=actor, today=today,
        cache_days=settings.eligibility_cache_days, sender_id=settings.submitter_id,
        usage_indicator=settings.usage_indicator)
    conn.commit()
    out["scrub"] = scrub.scrub_pending_claims(conn, actor=actor, today=today)
    conn.commit()
    batches = plan_batches(conn, max_claims_per_file=max_claims_per_file or settings.max_claims_per_file)
    out["send_batch"] = [send_batch(conn, b, remote=remote, actor=actor, settings=settings) for b in batches]
    return out
