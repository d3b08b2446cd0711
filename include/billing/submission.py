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

Tests crash it between any two steps through the connection and RemoteFiles they pass in
(tests/support/), so this module carries no test hooks.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import gc
import hashlib
import os
import time
from decimal import Decimal

from psycopg.rows import dict_row

from include.billing.claims import WorkItem, allocate_control_numbers, move_claims, open_work_items
from include.billing.ledger import store_file
from include.billing.rcm_sql import query, run
from include.billing.settings import SubmissionSettings
from include.billing.settings import load as load_settings
from include.billing.transport import RemoteFiles, upload_atomically

# --------------------------------------------------------------------------- planning

def plan_batches(conn, *, max_claims_per_file: int = 5000) -> list[int]:
    """Plan batches for ready claims (committing), return ids of every batch still to send."""
    if max_claims_per_file < 1:
        raise ValueError("max_claims_per_file must be at least 1")
    # one planner at a time: two concurrent runs must not plan the same claims twice
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('billing.plan_batches'))")
    groups: dict[tuple[str, int], list[tuple[int, Decimal]]] = {}
    for r in run(conn, "submission", "ready_unbatched").fetchall():
        groups.setdefault((r.clearinghouse, r.payer_id), []).append((r.id, r.total_charge))
    for (partner, payer_id), claims in groups.items():
        for chunk in _even_chunks(claims, max_claims_per_file):
            ids = [c[0] for c in chunk]
            digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:24]
            icn = allocate_control_numbers(conn, partner, "interchange")
            gcn = allocate_control_numbers(conn, partner, "group")
            stcn = allocate_control_numbers(conn, partner, "transaction")
            row = run(conn, "submission", "insert_batch", {
                "batch_key": f"837P:{partner}:{payer_id}:{digest}", "trading_partner": partner, "payer_id": payer_id,
                "icn": icn, "gcn": gcn, "stcn": stcn, "file_name": f"837P_{partner.upper()}_{icn:09d}.x12",
                "claim_count": len(ids), "total_charge": sum((c[1] for c in chunk), Decimal(0))}).fetchone()
            if row is None:
                continue
            conn.execute(query("submission", "insert_batch_claims"), {"batch_id": row.id, "claim_ids": ids})
    batch_ids = [r.id for r in run(conn, "submission", "live_batches").fetchall()]
    conn.commit()
    return batch_ids


def _even_chunks(items: list, most: int) -> list[list]:
    """`items` in as few chunks of at most `most` as possible, of sizes that differ by at most one: files
    of even size keep the validation processes busy to the end (no 5,000-claim file left after a 300-claim
    one)."""
    if not items:
        return []
    count = -(-len(items) // most)
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


# --------------------------------------------------------------------------- building

def load_claims_837(conn, batch_id: int) -> list:
    """Claim837 objects for the claims of one batch, from the ledger and the PM data. Claims of the same
    provider, payer, facility or subscriber share that party's object: read them, don't change them."""
    from include.edi.model import Address, Claim837, PatientDependent, Payer, Provider, ServiceLine, Subscriber

    def _addr(line1, city, state, zip_):      # imported once per batch above, not once per address
        return Address(line1=line1, city=city, state=state, zip=zip_) if line1 else None

    lines: dict[int, list] = {}
    line_numbers: dict[int, list[int]] = {}
    for r in run(conn, "submission", "batch_lines_837", {"batch_id": batch_id}).fetchall():
        lines.setdefault(r.claim_id, []).append(ServiceLine(
            line_control_number=r.line_control_number, procedure_code=r.procedure_code,
            modifiers=list(r.modifiers or []), units=r.units, charge=r.charge, dx_pointers=list(r.dx_pointers or []),
            service_date=r.service_date, ndc=r.ndc))
        line_numbers.setdefault(r.claim_id, []).append(r.line_number)
    claims = []
    secondary: dict[int, object] = {}
    # one object per distinct party of the batch (its billing providers, payers, providers, facilities and
    # subscribers recur claim after claim), shared by the claims, which the builder only reads
    parties: dict[tuple, object] = {}
    get = parties.get
    for r in run(conn, "submission", "batch_claims_837", {"batch_id": batch_id}).fetchall():
        key = ("85", r.bp_name, r.bp_npi, r.bp_tax_code, r.bp_tax, r.bp_a1, r.bp_city, r.bp_state, r.bp_zip)
        billing = get(key)
        if billing is None:
            billing = parties[key] = Provider(org_name=r.bp_name, npi=r.bp_npi, taxonomy=r.bp_tax_code, tax_id=r.bp_tax,
                                              address=_addr(r.bp_a1, r.bp_city, r.bp_state, r.bp_zip))
        pay_to = None
        if r.pt_a1:
            key = ("87", r.bp_name, r.pt_a1, r.pt_city, r.pt_state, r.pt_zip)
            pay_to = get(key)
            if pay_to is None:
                pay_to = parties[key] = Provider(org_name=r.bp_name,
                                                 address=_addr(r.pt_a1, r.pt_city, r.pt_state, r.pt_zip))
        key = ("IL", r.member_id, r.s_last, r.s_first, r.s_birth, r.s_sex, r.s_a1, r.s_city, r.s_state, r.s_zip,
               r.group_number, r.rel, r.py_cfi, r.responsibility)
        subscriber = get(key)
        if subscriber is None:
            subscriber = parties[key] = Subscriber(
                member_id=r.member_id, last_name=r.s_last, first_name=r.s_first, birth_date=r.s_birth, sex=r.s_sex,
                address=_addr(r.s_a1, r.s_city, r.s_state, r.s_zip), group_number=r.group_number,
                relationship_code=r.rel or "18", claim_filing_indicator=r.py_cfi, payer_responsibility=r.responsibility)
        patient = None
        if r.rel and r.rel != "18":
            patient = PatientDependent(last_name=r.p_last, first_name=r.p_first, birth_date=r.p_birth, sex=r.p_sex,
                                       relationship_code=r.rel, address=_addr(r.p_a1, r.p_city, r.p_state, r.p_zip))
        key = ("PR", r.py_name, r.py_ident, r.py_a1, r.py_city, r.py_state, r.py_zip)
        payer = get(key)
        if payer is None:
            payer = parties[key] = Payer(name=r.py_name, payer_id=r.py_ident,
                                         address=_addr(r.py_a1, r.py_city, r.py_state, r.py_zip))
        rendering = referring = facility = None
        if r.r_npi:
            key = ("82", r.r_last, r.r_first, r.r_npi, r.r_tax)
            rendering = get(key)
            if rendering is None:
                rendering = parties[key] = Provider(last_name=r.r_last, first_name=r.r_first, npi=r.r_npi,
                                                    taxonomy=r.r_tax)
        if r.f_npi:
            key = ("DN", r.f_last, r.f_first, r.f_npi)
            referring = get(key)
            if referring is None:
                referring = parties[key] = Provider(last_name=r.f_last, first_name=r.f_first, npi=r.f_npi)
        if r.fac_name:
            key = ("77", r.fac_name, r.fac_npi, r.fac_a1, r.fac_city, r.fac_state, r.fac_zip)
            facility = get(key)
            if facility is None:
                facility = parties[key] = Provider(org_name=r.fac_name, npi=r.fac_npi,
                                                   address=_addr(r.fac_a1, r.fac_city, r.fac_state, r.fac_zip))
        claims.append(Claim837(
            claim_id=r.number, total_charge=r.total, place_of_service=r.pos, billing_provider=billing,
            subscriber=subscriber, payer=payer, lines=lines.get(r.cid, []), diagnosis_codes=list(r.dx or []),
            frequency_code=r.freq, payer_claim_control_number=r.pccn, prior_authorization=r.prior_auth,
            onset_date=r.onset, accident_type=r.acc_type, accident_state=r.acc_state, accident_date=r.acc_date,
            patient=patient, rendering_provider=rendering, referring_provider=referring, service_facility=facility,
            pay_to=pay_to))
        if r.responsibility != "P":
            secondary[r.cid] = claims[-1]
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


def build_batch_file(conn, batch: dict, settings: SubmissionSettings, places: list | None = None) -> bytes:
    """The 837P bytes of a batch: deterministic from the database and the batch's creation time.
    ``places``, when given, receives where each claim sits in them (include.edi.x837p.build_837p)."""
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
        max_claims_per_transaction=5000, usage_indicator=settings.usage_indicator, created=created,
        places=places)


# --------------------------------------------------------------------------- sending

def _batch(conn, batch_id: int) -> dict:
    row = conn.cursor(row_factory=dict_row).execute(query("submission", "batch_by_id"), (batch_id,)).fetchone()
    if row is None:
        raise LookupError(f"submission batch {batch_id} does not exist")
    return row


def _claim_ids(conn, batch_id: int) -> list[int]:
    return [r.claim_id for r in run(conn, "submission", "batch_claim_ids", {"batch_id": batch_id}).fetchall()]


def _record_claim_slices(conn, file_id: int, data: bytes, places: list | None = None) -> None:
    """Where each claim (with its subscriber/patient HL loops) is in the stored 837P: the Billing
    UI reads only those bytes (include.billing.edi_slices). ``places``: what the builder recorded
    while writing ``data`` (the same list a scan gives; tests compare them), else the file is read."""
    from include.billing.edi_slices import record_by_claim_number, scan
    from include.edi.errors import X12Error

    if places:
        slices = places
    else:
        try:
            slices = scan(data, "837P")
        except X12Error:   # our own writer's bytes; should one not read, the page parses the file whole
            return
    record_by_claim_number(conn, file_id, slices)


def _fail_batch(conn, batch: dict, data: bytes, findings, actor: str, places: list | None = None) -> None:
    # codes and positions only: pyx12 messages may quote element values (PHI)
    summary = "; ".join(sorted({f"{f.code} at {f.segment or '?'}{'/' + f.element if f.element else ''}"
                                for f in findings}))[:2000]
    file_id = store_file(conn, direction="out", transaction_type="837P", file_name=batch["file_name"],
                         content=data, origin=actor, partner=batch["trading_partner"], state="held").id
    _record_claim_slices(conn, file_id, data, places)
    conn.execute(query("submission", "batch_failed"), {"error": summary, "file_id": file_id, "batch_id": batch["id"]})
    open_work_items(conn, [WorkItem(
        claim_id=cid, source="submission", reason_code="SUBMIT_837_INVALID",
        explanation=(f"The 837P file {batch['file_name']} holding this claim failed pyx12 validation "
                     f"({len(findings)} error(s): {summary[:300]}); it was not sent. Fix the data and release "
                     f"the claim to send it in a new batch."),
        details={"batch_id": batch["id"], "file_name": batch["file_name"]})
        for cid in _claim_ids(conn, batch["id"])])


def _validation_errors(data: bytes, file_name: str) -> tuple[list, float]:
    """pyx12's error findings for one outbound file and the seconds it took (runs in a worker process)."""
    from include.edi.validate import errors_only, validate_x12

    started = time.perf_counter()
    errors = errors_only(validate_x12(data, file_name))
    return errors, time.perf_counter() - started


def _warm_worker() -> None:
    """A validation process's start: import pyx12 and our validator while the parent builds the first file."""
    import pyx12.map_if  # noqa: F401
    import pyx12.x12n_document  # noqa: F401

    import include.edi.validate  # noqa: F401


def _new_result(batch: dict) -> dict:
    return {"batch_id": batch["id"], "file_name": batch["file_name"], "claims": batch["claim_count"],
            "validate_seconds": 0.0, "build_seconds": 0.0, "build_cpu_seconds": 0.0, "upload": None}


@contextlib.contextmanager
def _older_objects_frozen():
    """Leave the objects this process already holds (imports, caches, earlier steps' data) out of the
    garbage collector's passes while a batch is built. A build keeps a batch's claims alive, enough new
    objects to start a full pass every few batches, and each full pass walked that whole older heap: 0.9 s
    of the parent's 2.6 s build CPU at 20,000 visits, more the bigger the process. Cycles among the
    frozen objects are still collected, after the build."""
    if gc.get_freeze_count():           # frozen by someone else (e.g. before a fork): theirs to undo
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _build(conn, batch: dict, settings: SubmissionSettings, result: dict) -> tuple[bytes, list]:
    """The batch's bytes and where each claim sits in them."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    places: list = []
    with _older_objects_frozen():
        data = build_batch_file(conn, batch, settings, places)
    result["build_seconds"] = round(time.perf_counter() - t0, 3)
    # this process's CPU (the machine is shared and pyx12 runs beside it: wall time says little)
    result["build_cpu_seconds"] = round(time.process_time() - cpu0, 3)
    return data, places


def _store_and_deliver(conn, batch: dict, data: bytes | None, errors: list | None, *, remote: RemoteFiles,
                       actor: str, settings: SubmissionSettings, result: dict, places: list | None = None) -> dict:
    """Steps 2 (store or fail, given the validation's errors) to 4 for a batch still `planned` (data built and
    validated, ``places`` recorded by the builder) or `uploading` (data None: the stored bytes go out)."""
    batch_id = batch["id"]
    if data is not None:
        if errors:
            _fail_batch(conn, batch, data, errors, actor, places)
            conn.commit()
            result.update(state="failed", validation_errors=len(errors))
            return result
        file_id = store_file(conn, direction="out", transaction_type="837P", file_name=batch["file_name"],
                             content=data, origin=actor, partner=batch["trading_partner"], state="uploading").id
        _record_claim_slices(conn, file_id, data, places)
        conn.execute(query("submission", "batch_uploading"), {"file_id": file_id, "batch_id": batch_id})
    else:
        file_id = batch["edi_file_id"]
        stored = run(conn, "submission", "stored_file_content", {"file_id": file_id}).fetchone()
        data = bytes(stored.content)
    conn.commit()                                   # intent recorded before anything leaves

    result["upload"] = upload_atomically(remote, data, settings.sftp_inbound, batch["file_name"],
                                         also_look_in=(settings.sftp_archive,))

    conn.execute(query("submission", "batch_uploaded"), {"file_id": file_id, "batch_id": batch_id})
    moved = move_claims(conn, _claim_ids(conn, batch_id), from_status="ready", to_status="submitted",
                        actor=actor, event_type="submitted", dedupe_prefix=f"submitted:{batch_id}",
                        source_file_id=file_id,
                        detail_by_claim=None)
    conn.execute(query("submission", "claims_submitted_at"), {"claim_ids": moved})
    conn.commit()
    result.update(state="uploaded", claims_submitted=len(moved))
    return result


def send_batch(conn, batch_id: int, *, remote: RemoteFiles, actor: str,
               settings: SubmissionSettings | None = None) -> dict:
    """Build, validate, store and deliver one batch (see the module docstring). Returns counts only."""
    settings = settings or load_settings()
    batch = _batch(conn, batch_id)
    result = _new_result(batch)
    if batch["state"] not in ("planned", "uploading"):
        result["state"] = batch["state"]
        conn.commit()
        return result
    data = errors = places = None
    if batch["state"] == "planned":
        data, places = _build(conn, batch, settings, result)
        errors, seconds = _validation_errors(data, batch["file_name"])
        result["validate_seconds"] = round(seconds, 3)
    return _store_and_deliver(conn, batch, data, errors, remote=remote, actor=actor, settings=settings,
                              result=result, places=places)


class BatchSender:
    """`send_batch` for batches handed in as they are planned, with pyx12 in `workers` processes (default: one
    per core) validating whole files while this process builds the next batch, or does other work between two
    `submit` calls (run_pipeline's waves: the next wave's checks)::

        with BatchSender(conn, remote=remote, actor=actor) as sender:
            sender.submit(plan_batches(conn))   # each planned batch built here, handed to a worker
            ...                                 # anything else on `conn`, between transactions
            sender.submit(plan_batches(conn))   # batches already handed in are skipped
        sender.results                          # one per batch, in the order handed in

    Each batch goes through exactly the steps of `send_batch`, and batches are finished (steps 2-4: stored or
    failed, committed, then uploaded and marked) in the order they were handed in, each as soon as its own
    validation and every earlier batch's are done: a file is stored (and committed) only after its validation
    came back clean, and only then uploaded. Finishing happens only inside `submit`, `poll` and `finish`, on
    this thread and `conn`, so call them between transactions (each commits). A batch id handed in twice is
    sent once and listed once.

    Memory: at most `queue` built files wait for their validation (default `workers`); `submit` finishes the
    oldest (waiting for its validation) before building another, so at most `queue + 1` built files are held,
    each of at most the batches' max_claims_per_file claims.

    A crash anywhere leaves batches `planned` (built in memory only; rebuilt byte-identical) or `uploading`
    (stored), which the next plan_batches returns and the next sender resumes.
    """

    def __init__(self, conn, *, remote: RemoteFiles, actor: str, settings: SubmissionSettings | None = None,
                 workers: int | None = None, queue: int | None = None) -> None:
        self.conn, self.remote, self.actor = conn, remote, actor
        self.settings = settings or load_settings()
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.queue = max(1, queue or self.workers)
        self.results: list[dict] = []
        self.wait_seconds = 0.0            # spent here waiting for a validation to come back
        self._pending: collections.deque = collections.deque()    # (batch, result, data, places, future)
        self._seen: set[int] = set()
        self._pool = None
        self._closed = False

    def __enter__(self) -> BatchSender:
        if self.workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: this process holds database connections and maybe threads
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_warm_worker)
            # start every process now (one is spawned per waiting task): they import pyx12 while this one
            # builds the first file, instead of after it
            for _ in range(self.workers):
                self._pool.submit(int)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and not self._closed:
                self.finish()
        except BaseException:
            self._close(cancel=True)
            raise
        self._close(cancel=exc_type is not None)

    def _close(self, *, cancel: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def submit(self, batch_ids: list[int]) -> None:
        """Build each batch not handed in before and hand it to a worker (with one worker: send it now),
        finishing on the way every earlier batch whose validation is done."""
        if self._closed:
            raise RuntimeError("this BatchSender has finished; open another")
        for batch_id in batch_ids:
            if batch_id in self._seen:
                continue
            self._seen.add(batch_id)
            if self._pool is None:
                self.results.append(send_batch(self.conn, batch_id, remote=self.remote, actor=self.actor,
                                               settings=self.settings))
                continue
            batch = _batch(self.conn, batch_id)
            result = _new_result(batch)
            if batch["state"] not in ("planned", "uploading"):
                self.conn.commit()
                result["state"] = batch["state"]
                self._pending.append((batch, result, None, None, None))
            elif batch["state"] == "uploading":
                self._pending.append((batch, result, None, None, None))
            else:
                data, places = _build(self.conn, batch, self.settings, result)
                self.conn.commit()                  # read-only; no transaction held open while waiting
                self._pending.append((batch, result, data, places,
                                      self._pool.submit(_validation_errors, data, batch["file_name"])))
            self._finish_ready(most=self.queue)

    def poll(self) -> None:
        """Finish the batches whose validation (and every earlier one's) is done, without waiting."""
        self._finish_ready(most=None)

    def finish(self) -> list[dict]:
        """Wait for every validation still out, finish its batch and stop the workers (nothing can be handed
        in after this); every batch's result."""
        self._finish_ready(most=0)
        self._close(cancel=False)
        self._closed = True
        return self.results

    def _finish_ready(self, *, most: int | None) -> None:
        """Finish from the oldest batch on while its validation is done (or it needs none), and beyond that
        while more than `most` wait."""
        while self._pending:
            future = self._pending[0][4]
            if not (future is None or future.done() or (most is not None and len(self._pending) > most)):
                return
            self._finish_oldest()

    def _finish_oldest(self) -> None:
        batch, result, data, places, future = self._pending.popleft()
        if "state" in result:                       # neither planned nor uploading: nothing to do
            self.results.append(result)
            return
        errors = None
        if future is not None:
            waited = time.perf_counter()
            errors, seconds = future.result()
            self.wait_seconds += time.perf_counter() - waited
            result["validate_seconds"] = round(seconds, 3)
        self.results.append(_store_and_deliver(self.conn, batch, data, errors, remote=self.remote, actor=self.actor,
                                               settings=self.settings, result=result, places=places))


def send_batches(conn, batch_ids: list[int], *, remote: RemoteFiles, actor: str,
                 settings: SubmissionSettings | None = None, workers: int | None = None) -> list[dict]:
    """`send_batch` for many batches in one process, with pyx12 in `workers` processes (default: one per
    core), each validating whole files while this process builds the next batch (`BatchSender`).

    Each batch goes through exactly the steps of `send_batch`, in batch order: a file is stored (and
    committed) only after its validation came back clean, and only then uploaded. At most `workers + 1`
    built files wait in memory. A crash anywhere leaves batches `planned` or `uploading`, which resume.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    if len(batch_ids) < 2:                          # no processes to start for one file
        workers = 1
    with BatchSender(conn, remote=remote, actor=actor, settings=settings, workers=workers) as sender:
        sender.submit(batch_ids)
    return sender.results


def wave_end(conn, claims: int, *, after: int | None = None) -> int | None:
    """The last claim id of the next wave: the `claims` lowest-numbered claims waiting in status new (above
    `after`, the previous wave's end); None when none wait."""
    if claims < 1:
        raise ValueError("a wave holds at least one claim")
    return run(conn, "submission", "wave_end", {"claims": claims, "after": after}).fetchone().through_claim_id


# --------------------------------------------------------------------------- the whole pipeline

def run_pipeline(conn, *, remote: RemoteFiles, eligibility_transport, actor: str = "cli:claims_submission",
                 high_water: dt.datetime | None = None, today: dt.date | None = None, run_id: str | None = None,
                 max_claims_per_file: int | None = None, settings: SubmissionSettings | None = None,
                 wave_claims: int | None = None, workers: int | None = None, timed=None) -> dict:
    """Every step of the claims_submission DAG in order, without Airflow (CLI, demo, notebooks, bench).

    Commits after each step like the DAG's tasks do. Returns each step's counts.

    ``wave_claims`` None (or 0): one pass, each step over the whole backlog, then every batch sent, as the DAG
    does. A number: the backlog of new claims in waves of that many, lowest claim ids first (`wave_end`):
    data quality, eligibility, scrubbing and planning for one wave, its batches handed to the pyx12 workers
    (`BatchSender`), and the next wave's checks run in this process while the workers validate, so the idle
    cores of the checks (waiting on PostgreSQL and the payer) validate 837Ps instead. Then data_quality,
    eligibility and scrub are lists, one result per wave. ``workers``: pyx12 processes (default one per
    core). ``timed(step, fn)``, when given, runs each step's ``fn`` and returns its result (a bench times them).
    """
    from include.billing import claims, data_quality, eligibility, scrub

    settings = settings or load_settings()
    high_water = high_water or dt.datetime.now(dt.timezone.utc)
    today = today or high_water.date()
    run_id = run_id or f"cli__{high_water:%Y-%m-%dT%H%M%S}"
    most = max_claims_per_file or settings.max_claims_per_file
    timed = timed or (lambda _step, fn: fn())
    senders: list[BatchSender] = []          # the waves' sender, once open

    def step(name: str, fn):
        result = timed(name, fn)
        conn.commit()
        for sender in senders:
            sender.poll()           # files validated meanwhile are stored and delivered now, not at the end
        return result

    def checks(through: int | None, dq_run_id: str) -> tuple[dict, dict, dict]:
        return (step("data_quality", lambda: data_quality.check_new_claims(
                    conn, actor=actor, run_id=dq_run_id, through_claim_id=through)),
                step("eligibility", lambda: eligibility.check_new_claims(
                    conn, transport=eligibility_transport, actor=actor, today=today,
                    cache_days=settings.eligibility_cache_days, sender_id=settings.submitter_id,
                    usage_indicator=settings.usage_indicator, through_claim_id=through)),
                step("scrub", lambda: scrub.scrub_pending_claims(conn, actor=actor, today=today,
                                                                 through_claim_id=through)))

    out: dict = {}
    out["pick_up_visits"] = step("pick_up_visits", lambda: claims.pick_up_visits(conn, high_water=high_water,
                                                                                 actor=actor))
    out["build_claims"] = step("build_claims", lambda: claims.build_claims(conn, actor=actor))
    if not wave_claims:
        out["data_quality"], out["eligibility"], out["scrub"] = checks(None, run_id)
        batches = step("plan_batches", lambda: plan_batches(conn, max_claims_per_file=most))
        out["send_batch"] = timed("send_batch", lambda: send_batches(conn, batches, remote=remote, actor=actor,
                                                                     settings=settings, workers=workers))
        return out

    out.update(data_quality=[], eligibility=[], scrub=[])
    workers = max(1, workers or os.cpu_count() or 1)
    # room for two waves of files: the workers' backlog while this process checks and builds the next
    # wave. Memory: at most that many built files of at most `most` claims each
    queue = workers + 2 * -(-wave_claims // most)
    with BatchSender(conn, remote=remote, actor=actor, settings=settings, workers=workers, queue=queue) as sender:
        senders.append(sender)
        through = None
        while True:
            through = wave_end(conn, wave_claims, after=through)
            conn.commit()
            if through is not None:
                for name, result in zip(("data_quality", "eligibility", "scrub"),
                                        checks(through, f"{run_id}.wave{len(out['scrub']) + 1}")):
                    out[name].append(result)
            # the last pass, with no new claim left, still plans: batches left planned or uploading by an
            # earlier run, and ready claims no batch holds, go out as in one pass
            batches = step("plan_batches", lambda: plan_batches(conn, max_claims_per_file=most))
            timed("send_batch", lambda b=batches: sender.submit(b))
            if through is None:
                break
        timed("send_batch_wait", sender.finish)
    out["send_batch"] = sender.results
    out["waves"] = len(out["scrub"])
    return out
