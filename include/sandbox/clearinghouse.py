"""The clearinghouse and payer: one deterministic processing step over a mailbox folder.

    root/inbound/    partners upload 837 / 270 / 276 here (NAME.part, then rename to NAME)
    root/outbound/   999, 277CA, 835, 271, 277 for partners to download
    root/archive/    processed inbound files
    root/.sandbox/   private state (never served)

``Clearinghouse.process(now)`` handles every complete inbound file, then pays what is due
on the simulated clock ``now``.  Outputs have deterministic names and are written under a
temporary dot-name and renamed, so a downloader never sees half a file.  State is saved
before inbound files are archived: a crash in between re-creates the same outputs.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from include.edi.errors import Finding, X12Error
from include.edi.reader import Interchange, read_interchanges
from include.edi.validate import validate_x12
from include.edi.x276 import parse_276
from include.edi.x277 import build_277, build_277rfai
from include.edi.x277ca import ClaimStatus, Status, build_277ca
from include.edi.x835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServicePayment, build_835
from include.edi.x837p import parse_837p
from include.edi.x999 import IK3_CODES, IK4_CODES, Ack999, ElementError, SegmentError, TransactionAck, build_999

from . import adjudication as adj
from .eligibility import respond_270
from .roster import Member, Roster
from .scenario import PAYER_REJECTIONS, REJECTIONS, Scenario

log = logging.getLogger(__name__)
ZERO = Decimal(0)
STATE_VERSION = 1

try:  # the billing package's NPI check when present (same rule: Luhn over 80840 + 9 digits)
    from include.billing.npi import is_valid_npi
except ImportError:  # pragma: no cover - fallback keeps the sandbox standalone
    def is_valid_npi(npi):
        if not isinstance(npi, str) or len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
            return False
        total = 0
        for i, ch in enumerate(reversed("80840" + npi[:9])):
            d = int(ch) * (2 if i % 2 == 0 else 1)
            total += d - 9 if d > 9 else d
        return str((10 - total % 10) % 10) == npi[9]


def is_billable_icd10(code: str) -> bool:
    """A valid ICD-10-CM code at its most specific level (a leaf of the tabular list)."""
    import simple_icd_10_cm as icd
    try:
        return bool(icd.is_valid_item(code)) and bool(icd.is_leaf(code))
    except ValueError:
        return False


@dataclass
class ProcessReport:
    """Counts only: no names, member ids or diagnoses."""

    now: str = ""
    files: int = 0
    files_failed: int = 0
    interchanges: int = 0
    transactions_accepted: int = 0
    transactions_rejected: int = 0
    claims_received: int = 0
    claims_accepted: int = 0
    claims_rejected: int = 0
    claims_adjudicated: int = 0
    claims_paid: int = 0
    claims_denied: int = 0
    reversals: int = 0
    crossovers: int = 0
    interest: int = 0
    recoupments: int = 0
    remittances: int = 0
    amount_paid: str = "0.00"
    eligibility_inquiries: int = 0
    status_inquiries: int = 0
    information_requests: int = 0      # claims pended with a 277 request for additional information
    attachments: int = 0               # records packets received in answer
    outputs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------- (de)serialising payments

def _payment_to_dict(p: ClaimPayment) -> dict:
    return adj._jsonable(dataclasses.asdict(p))


def _payment_from_dict(d: dict) -> ClaimPayment:
    d = dict(d)
    m = lambda v: None if v is None else Decimal(v)  # noqa: E731
    day = lambda v: dt.date.fromisoformat(v) if v else None  # noqa: E731
    adjs = lambda xs: [Adjustment(a["group"], a["reason"], Decimal(a["amount"]), m(a["quantity"]))  # noqa: E731
                       for a in xs]
    d["adjustments"] = adjs(d["adjustments"])
    for k in ("charge", "paid", "patient_responsibility"):
        d[k] = m(d[k])
    for k in ("received_date", "statement_from", "statement_to"):
        d[k] = day(d[k])
    d["amounts"] = {k: Decimal(v) for k, v in d["amounts"].items()}
    lines = []
    for ln in d["lines"]:
        ln = dict(ln)
        ln["adjustments"] = adjs(ln["adjustments"])
        for k in ("charge", "paid", "units", "original_units", "allowed_amount"):
            ln[k] = m(ln[k])
        for k in ("service_date", "service_end_date"):
            ln[k] = day(ln[k])
        lines.append(ServicePayment(**ln))
    d["lines"] = lines
    return ClaimPayment(**d)


# --------------------------------------------------------------------------- the clearinghouse

class Clearinghouse:
    def __init__(self, root: Path, scenario: Scenario, roster: Roster):
        scenario.check_payers(roster.payers)       # a payer id the roster does not know is a typo
        self.root = Path(root)
        self.scenario = scenario
        self.roster = roster
        self.inbound = self.root / "inbound"
        self.outbound = self.root / "outbound"
        self.archive = self.root / "archive"
        self.private = self.root / ".sandbox"
        for d in (self.inbound, self.outbound, self.archive, self.private):
            d.mkdir(parents=True, exist_ok=True)
        self.private.chmod(0o700)
        self.state_path = self.private / "state.json"

    # ----------------------------------------------------------------- state

    def _load_state(self) -> dict:
        if self.state_path.exists():
            st = json.loads(self.state_path.read_text(encoding="utf-8"))
            if st.get("version") != STATE_VERSION:
                raise RuntimeError(f"{self.state_path}: unsupported state version {st.get('version')}")
            return st
        return {"version": STATE_VERSION, "counters": {"isa": 0, "trace": 0}, "processed": {}, "queue": {},
                "results": {}, "icn_index": {}, "rejected": {}, "accumulators": {}, "fb_carry": {},
                "outputs": []}

    def _save_state(self, st: dict) -> None:
        self._write_atomic(self.state_path, json.dumps(st, sort_keys=True, separators=(",", ":")).encode())

    def _write_atomic(self, path: Path, data: bytes) -> None:
        # the temp file lives in the private folder (same file system): partners never list it
        tmp = self.private / f".{path.name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        os.replace(tmp, path)

    @contextlib.contextmanager
    def _locked(self):
        # one processing step at a time, also across processes (server loop + CLI)
        with open(self.private / "lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _next(self, st: dict, counter: str) -> int:
        st["counters"][counter] += 1
        return st["counters"][counter]

    def _emit(self, st: dict, name: str, data: bytes, report: ProcessReport) -> None:
        """Publish one outbound file (mode 0600: it carries PHI) under its final name."""
        self._write_atomic(self.outbound / name, data)
        report.outputs.append(name)

    def _unique_name(self, st: dict, base: str, taken: set) -> str:
        """``base`` unless an earlier step already used it (e.g. two partners' ISA13 collide).

        Whatever partner value went into ``base``, the name is a safe one: allow-listed
        characters, no leading dot, bounded length (see `safe_file_name`)."""
        base = safe_file_name(base)
        stem, ext = base.rsplit(".", 1)
        name, n = base, 1
        used = set(st["outputs"]) | taken
        while name in used:
            n += 1
            name = f"{stem}_{n}.{ext}"
        taken.add(name)
        return name

    # ----------------------------------------------------------------- the step

    def pending_inbound(self) -> list[Path]:
        """Complete uploads: regular files, not ``*.part``, not dotfiles, sorted by name."""
        out = []
        for p in sorted(self.inbound.iterdir(), key=lambda p: p.name):
            if p.name.startswith(".") or p.name.endswith(".part") or not p.is_file():
                continue
            out.append(p)
        return out

    def process(self, now: dt.datetime | None = None) -> ProcessReport:
        """Handle every new complete inbound file, then run the payments due at ``now``."""
        now = (now or dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None, microsecond=0)
        report = ProcessReport(now=now.isoformat())
        with self._locked():
            st = self._load_state()
            done: list[tuple[Path, str]] = []
            for path in self.pending_inbound():
                data = path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                key = f"{path.name}:{sha}"
                if key in st["processed"]:       # outputs exist; only the archive move was lost
                    done.append((path, sha))
                    continue
                report.files += 1
                taken: set = set()
                before = json.dumps(st)                  # a file that fails half-way changes nothing
                try:
                    outputs = self._handle_file(st, path.name, data, now, report, taken)
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the mailbox
                    st = json.loads(before)
                    for n in taken:                      # outputs it published before failing
                        with contextlib.suppress(FileNotFoundError):
                            (self.outbound / n).unlink()
                        if n in report.outputs:
                            report.outputs.remove(n)
                    taken = set()
                    report.files_failed += 1
                    if isinstance(exc, X12Error):
                        why = " ".join((exc.message if exc.file else str(exc)).split())
                    else:
                        why = f"internal error ({type(exc).__name__}); the file is quarantined"
                        # type only: an exception's text may quote file content (PHI)
                        log.error("sandbox: %s failed: %s", path.name, type(exc).__name__)
                    report.errors.append(f"{path.name}: {why}"[:300])
                    name = self._unique_name(st, f"{path.name}.rejected.txt", taken)
                    self._emit(st, name, f"REJECTED {path.name}: {why}\n".encode(), report)
                    outputs = [name]
                st["outputs"] += outputs
                st["processed"][key] = {"at": now.isoformat(), "outputs": outputs}
                done.append((path, sha))
            self._payer_acks(st, now, report)
            self._payment_run(st, now, report)
            if done or report.outputs:         # an idle step leaves the state file alone
                self._save_state(st)
            for path, sha in done:
                target = self.archive / path.name
                if target.exists():
                    target = self.archive / f"{path.name}.{sha[:12]}"
                with contextlib.suppress(FileNotFoundError):
                    os.replace(path, target)
        return report

    def run_loop(self, interval_seconds: float, stop_event: threading.Event,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        """Call ``process`` every ``interval_seconds`` until ``stop_event`` is set; a failing step
        is logged (counts and file names only) and the loop goes on."""
        while not stop_event.is_set():
            try:
                r = self.process(clock() if clock else None)
                if r.files or r.remittances:
                    log.info("sandbox step: %d file(s), %d claim(s), %d remittance(s)",
                             r.files, r.claims_received, r.remittances)
            except Exception as exc:  # keep serving; the next step retries
                log.error("sandbox step failed: %s: %s", type(exc).__name__, str(exc)[:200])
            stop_event.wait(interval_seconds)

    # ----------------------------------------------------------------- inbound

    def _handle_file(self, st, name, data, now, report, taken) -> list[str]:
        if name.startswith("ATT_") and name.endswith(".zip"):
            return self._handle_attachment(st, name, data, now, report)
        isas = read_interchanges(data, name)
        if not isas:
            raise X12Error("no interchange in file", file=name)
        types = {t.type for i in isas for g in i.groups for t in g.transactions}
        if "837" in types:
            return self._handle_837(st, name, data, isas, now, report, taken)
        if "270" in types:
            report.eligibility_inquiries += sum(1 for _ in _inquiries_270(data, name))
            out = []
            for isa in isas:
                icn = self._next(st, "isa")
                body = respond_270(_isa_bytes(data, isa), self.roster, sender_id=self.scenario.clearinghouse_id,
                                   interchange_control_number=icn, now=now, name=name)
                fn = self._unique_name(st, f"271_{name_part(isa.control_number, 9)}.x12", taken)
                self._emit(st, fn, body, report)
                out.append(fn)
            return out
        if "276" in types:
            return self._handle_276(st, name, data, isas, now, report, taken)
        raise X12Error(f"no 837, 270 or 276 transaction set (found {sorted(types) or 'none'})", file=name)

    def _handle_837(self, st, name, data, isas: list[Interchange], now, report, taken) -> list[str]:
        findings = [f for f in validate_x12(data, name) if f.severity == "error"]
        outputs = []
        for isa in isas:
            report.interchanges += 1
            partner = isa.sender_id.strip()
            acks, statuses, queued = [], [], []
            for g in isa.groups:
                ack = Ack999(g.functional_id, g.control_number, group_version=g.version)
                gfind = _findings_in(findings, g.header.index, g.trailer.index if g.trailer else None)
                for t in g.transactions:
                    end = t.trailer.index if t.trailer else None
                    tf = _findings_in(gfind, t.header.index, end)
                    env = [f for f in gfind if f.segment in ("GS", "GE") or f.segment_index is None]
                    ta = TransactionAck(t.type, t.control_number, "A", t.version or None)
                    if tf or env:
                        ta.status = "R"
                        ta.error_codes = ["5"]
                        ta.segment_errors = _segment_errors(tf, t.header.index)[:20]
                        report.transactions_rejected += 1
                        ack.transactions.append(ta)
                        continue
                    report.transactions_accepted += 1
                    ack.transactions.append(ta)
                    if t.type != "837":
                        continue
                    for c in parse_837p(t):
                        report.claims_received += 1
                        cs, claim_in = self._front_end(c, partner, name, now)
                        statuses.append(cs)
                        if claim_in is None:
                            report.claims_rejected += 1
                            st["rejected"][c.claim_id] = now.date().isoformat()
                        else:
                            report.claims_accepted += 1
                            queued.append(claim_in)
                acks.append(ack)
            icn = self._next(st, "isa")
            fn = self._unique_name(st, f"999_{name_part(isa.control_number, 9)}.x12", taken)
            self._emit(st, fn, build_999(acks, sender_id=self.scenario.clearinghouse_id, receiver_id=partner,
                                         interchange_control_number=icn, group_control_number=icn,
                                         created=now), report)
            outputs.append(fn)
            if statuses:
                icn = self._next(st, "isa")
                fn = self._unique_name(st, f"277CA_{name_part(isa.control_number, 9)}.x12", taken)
                self._emit(st, fn, build_277ca(statuses, sender_id=self.scenario.clearinghouse_id,
                                               receiver_id=partner, interchange_control_number=icn,
                                               group_control_number=icn, payer_name=self.scenario.clearinghouse_name,
                                               receiver_name=partner, created=now, received=now.date()), report)
                outputs.append(fn)
            for ci in queued:
                if ci.frequency_code in ("7", "8"):
                    # replacing a claim the payer has not adjudicated yet: the new one takes its place
                    earlier = st["icn_index"].get(ci.replaces_icn or "")
                    if earlier in st["queue"] and earlier != ci.claim_id:
                        del st["queue"][earlier]
                        if ci.frequency_code == "8":
                            continue
                st["queue"][ci.claim_id] = {"claim": ci.to_dict(), "due": self._due(ci, ci.claim_id).isoformat(),
                                            "payer_ack": None,
                                            "ack_due": (ci.received + dt.timedelta(days=1)).isoformat()}
                st["icn_index"][adj.payer_claim_control_number(self.scenario.seed, ci.claim_id)] = ci.claim_id
        return outputs

    def _front_end(self, c, partner: str, file: str, now: dt.datetime) -> tuple[ClaimStatus, adj.ClaimIn | None]:
        """The 277CA status of one claim and, when accepted, what the payer queues."""
        sub = c.subscriber
        person = c.patient or sub
        member = self.roster.find(c.payer.payer_id, sub.member_id, last_name=person.last_name,
                                  first_name=person.first_name, birth_date=person.birth_date)
        lines = c.lines
        dates = [ln.service_date for ln in lines if ln.service_date]
        dos = min(dates) if dates else None
        problems: list[Status] = []
        if member is None:
            problems.append(Status("A7", "33", "IL"))                 # subscriber/id not found
        if not is_valid_npi(c.billing_provider.npi):
            problems.append(Status("A7", "562", "85"))                # billing provider NPI
        if c.rendering_provider is not None and c.rendering_provider.npi and not is_valid_npi(c.rendering_provider.npi):
            problems.append(Status("A7", "562", "82"))                # rendering provider NPI
        if any(not is_billable_icd10(code) for code in c.diagnosis_codes):
            problems.append(Status("A7", "255"))                      # diagnosis code
        if member is not None and dos is not None and not member.covered_on(dos):
            problems.append(Status("A7", "88", "IL"))                 # not eligible on the dates of service
        if sum((ln.charge for ln in lines), ZERO) != c.total_charge:
            problems.append(Status("A7", "400"))                      # claim out of balance
        if not problems:
            u = adj.claim_rng(self.scenario.seed, c.claim_id, "reject").random()
            acc = 0.0
            for reason, code in REJECTIONS.items():
                acc += self.scenario.rejections.get(reason, 0.0)
                if u < acc:
                    parts = code.split(":")
                    problems.append(Status(parts[0], parts[1], parts[2] if len(parts) > 2 else None))
                    break
        patient_last = c.patient.last_name if c.patient else sub.last_name
        patient_first = c.patient.first_name if c.patient else sub.first_name
        # stage 1, the clearinghouse: A1 received and forwarded to the payer (the payer's own
        # acceptance, A2 with its claim number, or rejection, A3, follows in a later 277CA)
        cs = ClaimStatus(claim_id=c.claim_id, statuses=problems[:3] or [Status("A1", "19", "PR")],
                         effective_date=now.date(), action_code="U" if problems else "WQ",
                         total_charge=c.total_charge, payer_claim_control_number=None,
                         service_from=dos, service_to=max(dates) if dates else None, member_id=sub.member_id or None,
                         patient_last_name=patient_last, patient_first_name=patient_first,
                         provider_npi=c.billing_provider.npi)
        if problems:
            return cs, None
        primary_paid = None
        primary_pr = ZERO
        for op in c.other_payers:
            if op.paid_amount is not None:
                primary_paid = (primary_paid or ZERO) + op.paid_amount
            primary_pr += sum((a for g, _r, a in op.adjustments if g == "PR"), ZERO)
        primary_cfi = c.other_payers[0].claim_filing_indicator if c.other_payers else None
        claim_in = adj.ClaimIn(
            claim_id=c.claim_id, payer_id=c.payer.payer_id, payer_name=c.payer.name or self.roster.payer_name(c.payer.payer_id),
            member_id=sub.member_id, patient_last_name=patient_last or "", patient_first_name=patient_first,
            subscriber_last_name=sub.last_name, subscriber_member_id=sub.member_id, total_charge=c.total_charge,
            received=now.date(), billing_npi=c.billing_provider.npi or "",
            billing_name=c.billing_provider.org_name or c.billing_provider.last_name or "PROVIDER",
            lines=[adj.LineIn(ln.line_control_number, ln.procedure_code, ln.charge, ln.units, list(ln.modifiers),
                              ln.service_date,
                              sum((a.paid for a in ln.adjudications), ZERO) if ln.adjudications else None,
                              [[g, r, a] for x in ln.adjudications for g, r, a in x.adjustments])
                   for ln in lines],
            frequency_code=c.frequency_code or "1", replaces_icn=c.payer_claim_control_number,
            prior_authorization=c.prior_authorization,
            rendering_npi=c.rendering_provider.npi if c.rendering_provider else None,
            filing_indicator=sub.claim_filing_indicator or "CI", responsibility=sub.payer_responsibility or "P",
            primary_paid=primary_paid, primary_patient_responsibility=primary_pr,
            is_dependent=c.patient is not None, source_file=file, submitter_id=partner,
            place_of_service=c.place_of_service or "11", primary_filing_indicator=primary_cfi)
        return cs, claim_in

    def _handle_276(self, st, name, data, isas, now, report, taken) -> list[str]:
        out = []
        for isa in isas:
            inquiries = parse_276(_isa_bytes(data, isa), name)
            report.status_inquiries += len(inquiries)
            claims = [self._claim_status(st, q, now) for q in inquiries]
            icn = self._next(st, "isa")
            fn = self._unique_name(st, f"277_{name_part(isa.control_number, 9)}.x12", taken)
            self._emit(st, fn, build_277(claims, sender_id=self.scenario.clearinghouse_id,
                                         receiver_id=isa.sender_id.strip(), interchange_control_number=icn,
                                         group_control_number=icn, payer_name=self.scenario.clearinghouse_name,
                                         receiver_name=isa.sender_id.strip(), created=now), report)
            out.append(fn)
        return out

    def _claim_status(self, st, q, now) -> ClaimStatus:
        cs = ClaimStatus(claim_id=q.trace_number, effective_date=now.date(), total_charge=q.total_charge,
                         patient_account_number=q.claim_id, member_id=q.member_id or None,
                         patient_last_name=q.last_name, patient_first_name=q.first_name,
                         provider_npi=q.provider_npi or None, service_from=q.service_from, service_to=q.service_to)
        res = st["results"].get(q.claim_id)
        if res is not None:
            p = _payment_from_dict(res["payment"])
            cs.total_charge = p.charge
            cs.paid_amount = p.paid
            cs.adjudication_date = dt.date.fromisoformat(res["paid_on"])
            cs.check_date = cs.adjudication_date
            cs.check_number = res.get("trace")
            cs.payer_claim_control_number = p.payer_claim_control_number
            cs.statuses = [Status("F1", "65")] if p.paid > 0 else [Status("F2", "88")]
        elif q.claim_id in st["queue"]:
            cs.statuses = [Status("P1", "20")]                        # accepted, in process
        elif q.claim_id in st["rejected"]:
            cs.statuses = [Status("A3", "21")]                        # returned as unprocessable
        else:
            cs.statuses = [Status("A4", "35")]                        # claim not found
        if cs.total_charge is None:
            cs.total_charge = ZERO
        return cs

    # ----------------------------------------------------------------- payments

    def _member(self, ci: adj.ClaimIn) -> Member | None:
        return self.roster.find(ci.payer_id, ci.member_id)

    def _kind(self, ci: adj.ClaimIn) -> str:
        return self.scenario.kind(ci.payer_id, ci.filing_indicator)

    def _due(self, ci: adj.ClaimIn, key: str) -> dt.date:
        """Receipt + the payer's lag (drawn per claim), + a review hold for a few claims."""
        lo, hi = self.scenario.terms(ci.payer_id).delay_days
        rng = adj.claim_rng(self.scenario.seed, key, "lag")
        days = rng.randint(lo, hi)
        if rng.random() < self.scenario.pend_rate:
            days += rng.randint(*self.scenario.pend_extra_days)
        return ci.received + dt.timedelta(days=days)

    def _acc_key(self, ci: adj.ClaimIn) -> str:
        year = (ci.service_from or ci.received).year
        return f"{ci.payer_id}|{ci.member_id}|{year}"

    def _acc(self, st, ci: adj.ClaimIn) -> adj.Accumulator:
        """The member's accumulator for the plan year of the service; a plan year the payer has not
        seen yet starts at the roster's met-to-date level."""
        a = st["accumulators"].get(self._acc_key(ci))
        if a is None:
            plan = adj.Plan.for_member(self._kind(ci), self._member(ci), self.scenario)
            return adj.Accumulator.for_member(self._member(ci), plan)
        return adj.Accumulator(Decimal(a[0]), Decimal(a[1]))

    def _set_acc(self, st, ci: adj.ClaimIn, a: adj.Accumulator) -> None:
        st["accumulators"][self._acc_key(ci)] = [str(a.deductible_met), str(a.out_of_pocket)]

    def _give_back(self, st, ci: adj.ClaimIn, p: ClaimPayment) -> None:
        """A reversed payment returns what it counted toward the member's deductible/OOP."""
        a = self._acc(st, ci)
        ded = sum((x.amount for ln in p.lines for x in ln.adjustments if x.group == "PR" and x.reason == "1"), ZERO)
        pr = sum((x.amount for ln in p.lines for x in ln.adjustments if x.group == "PR"), ZERO)
        self._set_acc(st, ci, adj.Accumulator(max(ZERO, a.deductible_met - ded), max(ZERO, a.out_of_pocket - pr)))

    # ----------------------------------------------------------------- requests for information

    def _handle_attachment(self, st, name, data, now, report) -> list[str]:
        """A records packet answering a 277 request (the clearinghouse's attachment upload): a zip
        with `index.json` naming the request (the payer's tracking number, TRN02 of the 277, or
        our claim number) and the documents. The payer adjudicates the claim `review_days` later."""
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                if len(infos) > 50 or sum(i.file_size for i in infos) > 50 * 2**20:
                    raise X12Error("attachment too large (more than 50 files or 50 MiB)", file=name)
                index = json.loads(zf.read("index.json"))
                documents = [i.filename for i in infos if i.filename != "index.json" and i.file_size > 0]
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise X12Error(f"not a records packet (zip with index.json): {type(exc).__name__}", file=name) from None
        tracking = str(index.get("payer_tracking_number") or "")
        cid = st.get("rfai_index", {}).get(tracking) or str(index.get("patient_control_number") or "")
        q = st["queue"].get(cid)
        r = (q or {}).get("rfai")
        if r is None:
            raise X12Error("no open request for additional information matches this packet "
                           f"(tracking number {tracking[:20]!r})", file=name)
        if not documents:
            raise X12Error("the packet holds no document", file=name)
        if r.get("answered_on") is None:
            today = now.date()
            r.update(answered_on=today.isoformat(), attachment_control_number=str(
                index.get("attachment_control_number") or "")[:50], documents=len(documents))
            q["due"] = max(q["due"], (today + dt.timedelta(days=self.scenario.rfai.review_days)).isoformat())
            report.attachments += 1
        return []

    def _request_information(self, st, cid: str, q: dict, ci: adj.ClaimIn, today: dt.date) -> ClaimStatus | None:
        """Pend a claim that came due with a 277 request for records, when the scenario says so
        (its rate, drawn per claim, or its list of claims); the claim then waits for the answer."""
        if (q.get("rfai") is not None or "payer_ack" not in q or ci.frequency_code != "1" or ci.crossover_from
                or cid in st["results"]):
            return None
        if not self.scenario.asks_for_information(cid, adj.claim_rng(self.scenario.seed, cid, "rfai").random()):
            return None
        tracking = f"RFAI{self._next_counter(st, 'rfai'):011d}"
        due = today + dt.timedelta(days=self.scenario.rfai.due_days)
        q["rfai"] = {"tracking": tracking, "requested_on": today.isoformat(), "due": due.isoformat(),
                     "loinc": list(self.scenario.rfai.loinc), "answered_on": None}
        st.setdefault("rfai_index", {})[tracking] = cid
        return ClaimStatus(claim_id=tracking, statuses=[Status("R3", code) for code in self.scenario.rfai.loinc],
                           effective_date=today, total_charge=ci.total_charge,
                           payer_claim_control_number=adj.payer_claim_control_number(self.scenario.seed, cid),
                           patient_account_number=ci.claim_id, service_from=ci.service_from,
                           service_to=ci.service_to, member_id=ci.member_id or None,
                           patient_last_name=ci.patient_last_name, patient_first_name=ci.patient_first_name,
                           provider_npi=ci.billing_npi or None, response_due_date=due)

    def _next_counter(self, st: dict, counter: str) -> int:
        st["counters"][counter] = st["counters"].get(counter, 0) + 1
        return st["counters"][counter]

    def _emit_requests(self, st, requests: dict, now: dt.datetime, report: ProcessReport) -> None:
        for (submitter, payer_id), claims in sorted(requests.items()):
            icn = self._next(st, "isa")
            name = (self.scenario.terms(payer_id).name or self.roster.payer_name(payer_id) or payer_id)[:60]
            fn = self._unique_name(st, f"277RFAI_{_safe(payer_id)}_{now:%Y%m%d}_{icn:09d}.x12", set())
            self._emit(st, fn, build_277rfai(claims, sender_id=self.scenario.clearinghouse_id,
                                             receiver_id=submitter or "SUBMITTER", interchange_control_number=icn,
                                             group_control_number=icn, payer_name=name, payer_id=payer_id,
                                             receiver_name=submitter or "SUBMITTER", created=now), report)
            st["outputs"].append(fn)
            report.information_requests += len(claims)

    # ----------------------------------------------------------------- the payer's 277CA (stage 2)

    def _payer_acks(self, st: dict, now: dt.datetime, report: ProcessReport) -> None:
        """A day after the clearinghouse forwarded a claim, the payer's front end answers: A2
        (accepted into adjudication, with its claim number) or, for a few, A3 (returned as
        unprocessable; the claim is not adjudicated)."""
        today = now.date()
        by_partner: dict[tuple, list] = {}
        for cid in sorted(st["queue"]):
            q = st["queue"][cid]
            if "payer_ack" not in q or q["payer_ack"] is not None or q.get("ack_due", "") > today.isoformat():
                continue              # crossovers, claims acknowledged already, claims received today
            ci = adj.ClaimIn.from_dict(q["claim"])
            rng = adj.claim_rng(self.scenario.seed, cid, "payer_reject")
            rejected = rng.random() < self.scenario.payer_rejection_rate
            if rejected:
                parts = rng.choice(PAYER_REJECTIONS).split(":")
                status = Status(parts[0], parts[1], parts[2] if len(parts) > 2 else None)
            else:
                status = Status("A2", "20", "PR")
            cs = ClaimStatus(claim_id=ci.claim_id, statuses=[status], effective_date=today,
                             action_code="U" if rejected else "WQ", total_charge=ci.total_charge,
                             payer_claim_control_number=None if rejected else
                             adj.payer_claim_control_number(self.scenario.seed, cid),
                             service_from=ci.service_from, service_to=ci.service_to,
                             member_id=ci.subscriber_member_id or None, patient_last_name=ci.patient_last_name,
                             patient_first_name=ci.patient_first_name, provider_npi=ci.billing_npi or None)
            by_partner.setdefault((ci.submitter_id, ci.payer_id), []).append(cs)
            if rejected:
                del st["queue"][cid]
                st["rejected"][cid] = today.isoformat()
                report.claims_rejected += 1
            else:
                q["payer_ack"] = today.isoformat()
        for (submitter, payer_id), statuses in sorted(by_partner.items()):
            icn = self._next(st, "isa")
            name = (self.scenario.terms(payer_id).name or self.roster.payer_name(payer_id) or payer_id)[:60]
            fn = self._unique_name(st, f"277CA_{_safe(payer_id)}_{today:%Y%m%d}_{icn:09d}.x12", set())
            self._emit(st, fn, build_277ca(statuses, sender_id=self.scenario.clearinghouse_id,
                                           receiver_id=submitter or "SUBMITTER", interchange_control_number=icn,
                                           group_control_number=icn, payer_name=name,
                                           receiver_name=submitter or "SUBMITTER", created=now,
                                           received=today), report)
            st["outputs"].append(fn)

    # ----------------------------------------------------------------- crossover

    def _supplemental(self, ci: adj.ClaimIn) -> Member | None:
        """The member's supplemental coverage (Medigap or Medicaid) the Medicare payer knows of
        (its COBA trading partners): the same person at another payer, covered on the date of service."""
        me = self._member(ci)
        if me is None:
            return None
        if me.birth_date is None:
            return None
        if not hasattr(self, "_people"):
            self._people: dict[tuple, list[Member]] = {}
            for m in self.roster.members:
                self._people.setdefault((m.last_name.upper(), m.first_name.upper(), m.birth_date), []).append(m)
        dos = ci.service_from or ci.received
        for m in self._people.get((me.last_name.upper(), me.first_name.upper(), me.birth_date), []):
            if (m.payer_id != ci.payer_id and m.covered_on(dos)
                    and self.scenario.kind(m.payer_id, self._filing(m.payer_id)) in ("commercial", "medicaid")):
                return m
        return None

    def _filing(self, payer_id: str) -> str:
        p = self.roster.payers.get(payer_id)
        return p.claim_filing_indicator if p else "CI"

    def _cross_over(self, st: dict, ci: adj.ClaimIn, pay: ClaimPayment, today: dt.date) -> bool:
        """Medicare forwards a claim that left the member something to pay to the supplemental
        payer (CLP02 19, MA18); that payer's 835 follows from the sandbox, so the provider
        sends no secondary claim."""
        if (self._kind(ci) != "medicare" or not self.scenario.terms(ci.payer_id).crossover or ci.is_secondary
                or pay.status_code != "1" or not pay.patient_responsibility):
            return False
        if any(a.group == "CO" and a.reason in ("97", "4") for sp in pay.lines for a in sp.adjustments):
            # a claim with a denied line waits for the provider's corrected claim; crossing it over
            # now would put two payers' payments under one CLP01 before a reversal
            return False
        sup = self._supplemental(ci)
        if sup is None:
            return False
        lines = []
        for ln, sp in zip(ci.lines, pay.lines):
            lines.append(dataclasses.replace(ln, primary_paid=sp.paid,
                                             primary_adjustments=[[a.group, a.reason, a.amount]
                                                                  for a in sp.adjustments]))
        xo = dataclasses.replace(
            ci, payer_id=sup.payer_id, payer_name=self.roster.payer_name(sup.payer_id), member_id=sup.member_id,
            subscriber_member_id=sup.member_id, lines=lines, responsibility="S", received=today,
            filing_indicator=self._filing(sup.payer_id), primary_paid=pay.paid,
            primary_patient_responsibility=pay.patient_responsibility or ZERO, primary_filing_indicator="MB",
            crossover_from=ci.payer_id, frequency_code="1", replaces_icn=None)
        key = f"{ci.claim_id}@{sup.payer_id}"
        st["queue"][key] = {"claim": xo.to_dict(), "due": self._due(xo, key).isoformat()}
        st.setdefault("crossovers", {})[_xo_key(sup.payer_id, sup.member_id, ci)] = key
        pay.status_code = "19"
        pay.remark_codes = list(dict.fromkeys([*pay.remark_codes, "MA18"]))
        return True

    # ----------------------------------------------------------------- payments

    def _payment_run(self, st: dict, now: dt.datetime, report: ProcessReport) -> None:
        today = now.date()
        groups: dict[tuple, list[ClaimPayment]] = {}
        info: dict[tuple, adj.ClaimIn] = {}
        touched: dict[tuple, list[str]] = {}
        late: dict[tuple, list[tuple[ClaimPayment, int]]] = {}

        def add(ci: adj.ClaimIn, p: ClaimPayment):
            errs = adj.balance_errors(p)
            if errs:  # a bug here must never reach a partner
                raise RuntimeError("sandbox produced an unbalanced payment: " + "; ".join(errs[:3]))
            key = (ci.submitter_id, ci.payer_id, ci.billing_npi)
            groups.setdefault(key, []).append(p)
            info.setdefault(key, ci)
            return key

        due = sorted((cid for cid, q in st["queue"].items()
                      if q["due"] <= today.isoformat() and q.get("payer_ack", "") is not None))
        requests: dict[tuple, list[ClaimStatus]] = {}
        for cid in due:
            ci = adj.ClaimIn.from_dict(st["queue"][cid]["claim"])
            asked = self._request_information(st, cid, st["queue"][cid], ci, today)
            if asked is not None:
                requests.setdefault((ci.submitter_id, ci.payer_id), []).append(asked)
                continue
            rfai = st["queue"][cid].get("rfai")
            if rfai is not None and rfai.get("answered_on") is None:
                continue                               # pended until the records arrive
            terms = self.scenario.terms(ci.payer_id)
            original_id = st["icn_index"].get(ci.replaces_icn or "") if ci.frequency_code in ("7", "8") else None
            if original_id and original_id in st["results"] and not st["results"][original_id].get("reversed"):
                res = st["results"][original_id]
                orig = _payment_from_dict(res["payment"])
                oci = adj.ClaimIn.from_dict(res["claim"])
                add(oci, adj.reversal_of(orig))
                self._give_back(st, oci, orig)
                res["reversed"] = True
                res["replaced_by"] = ci.claim_id
                report.reversals += 1
            if ci.frequency_code == "8":               # void: the reversal is all there is
                del st["queue"][cid]
                continue
            xo_of = st.get("crossovers", {}).get(_xo_key(ci.payer_id, ci.member_id, ci)) if ci.is_secondary \
                and not ci.crossover_from else None
            reverse_after = recoup_after = None
            if cid in st["results"] and ci.frequency_code == "1":
                pay = adj.denied_payment(ci, self.scenario.seed, "CO-18")   # exact duplicate
                report.claims_denied += 1
            elif xo_of:
                # the provider billed us for a claim Medicare already crossed over
                pay = adj.denied_payment(ci, self.scenario.seed, "CO-18", ["N522"])
                report.claims_denied += 1
            else:
                result = adj.adjudicate(ci, self._member(ci), terms, self.scenario, self._acc(st, ci),
                                        kind=self._kind(ci))
                pay = result.payment
                self._set_acc(st, ci, result.accumulator)
                if self._cross_over(st, ci, pay, today):
                    report.crossovers += 1
                rng = adj.claim_rng(self.scenario.seed, cid, "reversal")
                if pay.paid > 0 and not ci.crossover_from:
                    # a crossed-over claim has two payments under one CLP01: it is not reversed here
                    if rng.random() < self.scenario.reversal_rate and pay.status_code != "19":
                        reverse_after = (today + dt.timedelta(days=self.scenario.reversal_delay_days)).isoformat()
                    elif rng.random() < self.scenario.recoupment_rate:
                        recoup_after = (today + dt.timedelta(days=self.scenario.recoupment_delay_days)).isoformat()
                if pay.status_code == "4":
                    report.claims_denied += 1
                else:
                    report.claims_paid += 1
            if not (cid in st["results"] and ci.frequency_code == "1"):     # a duplicate keeps the original
                st["results"][cid] = {"payment": _payment_to_dict(pay), "claim": ci.to_dict(),
                                      "paid_on": today.isoformat(), "reverse_after": reverse_after,
                                      "recoup_after": recoup_after}
                st["icn_index"][pay.payer_claim_control_number] = cid
            report.claims_adjudicated += 1
            key = add(ci, pay)
            touched.setdefault(key, []).append(cid)
            # late by the payer's own schedule (its lag and review hold), not by when this step runs
            waited = (dt.date.fromisoformat(st["queue"][cid]["due"]) - ci.received).days
            # a claim pended for records is not a clean claim: no prompt-pay interest
            if pay.paid > 0 and waited > terms.prompt_pay_days and pay.status_code in ("1", "2", "19") \
                    and rfai is None:
                late.setdefault(key, []).append((pay, waited - terms.prompt_pay_days))
            del st["queue"][cid]
        self._emit_requests(st, requests, now, report)

        # scheduled reversals: CLP02=22 of the earlier payment, then the corrected payment
        for cid in sorted(st["results"]):
            res = st["results"][cid]
            ra = res.get("reverse_after")
            if not ra or res.get("reversed") or ra > today.isoformat():
                continue
            ci = adj.ClaimIn.from_dict(res["claim"])
            orig = _payment_from_dict(res["payment"])
            corrected = adj.corrected_payment(orig, self.scenario.reversal_fee_delta_percent)
            add(ci, adj.reversal_of(orig))
            key = add(ci, corrected)
            res["payment"] = _payment_to_dict(corrected)
            res["reverse_after"] = None
            res["corrected_on"] = today.isoformat()
            report.reversals += 1
            touched.setdefault(key, []).append(cid)

        # recoupments of earlier overpayments, taken from the next 835 to the same payee
        recoup: dict[tuple, list[tuple[str, Decimal]]] = {}
        for cid in sorted(st["results"]):
            res = st["results"][cid]
            ra = res.get("recoup_after")
            if not ra or ra > today.isoformat() or res.get("reversed"):
                continue
            ci = adj.ClaimIn.from_dict(res["claim"])
            key = (ci.submitter_id, ci.payer_id, ci.billing_npi)
            if key not in groups:
                continue                               # waits for an 835 to that payee
            p = _payment_from_dict(res["payment"])
            amount = max(Decimal("0.01"), adj.cents(p.paid * self.scenario.recoupment_percent / 100))
            recoup.setdefault(key, []).append((ci.claim_id, amount))
            res["recoup_after"] = None
            res["recouped"] = str(amount)
            res["recouped_on"] = today.isoformat()

        total_paid = ZERO
        for key in sorted(groups):
            submitter, payer_id, npi = key
            claims = groups[key]
            ci = info[key]
            terms = self.scenario.terms(payer_id)
            n = self._next(st, "trace")
            trace = f"{today:%Y%m%d}{n:07d}"
            paid = sum((c.paid for c in claims), ZERO)
            plb = self._plb(st, key, trace, paid, today, npi, late.get(key, []), recoup.get(key, []))
            report.interest += sum(1 for p in plb if p.reason_code == "L6")
            report.recoupments += sum(1 for p in plb if p.reason_code == "WO")
            amount = paid - sum((p.amount for p in plb), ZERO)
            rem = Remittance835(
                payment_amount=amount, trace_number=trace, credit_debit="C",
                payment_method=terms.payment_method if amount > 0 else "NON", payment_date=today,
                payer_trace_id="1" + f"{int(hashlib.sha256(payer_id.encode()).hexdigest(), 16) % 10**9:09d}",
                payer_name=(terms.name or self.roster.payer_name(payer_id) or ci.payer_name or payer_id)[:60],
                payer_id=payer_id, payee_name=ci.billing_name[:60], payee_id=npi or None, claims=claims,
                provider_adjustments=plb, production_date=today)
            if amount == 0:
                rem.handling_code = "H"                 # notification only, no payment
            icn = self._next(st, "isa")
            data = build_835([rem], sender_id=self.scenario.clearinghouse_id, receiver_id=submitter or "SUBMITTER",
                             interchange_control_number=icn, group_control_number=icn,
                             created=dt.datetime.combine(today, now.time()))
            fn = self._unique_name(st, f"835_{_safe(payer_id)}_{trace}.x12", set())
            self._emit(st, fn, data, report)
            st["outputs"].append(fn)
            for cid in touched.get(key, []):
                if cid in st["results"]:
                    st["results"][cid]["trace"] = trace
            report.remittances += 1
            total_paid += amount
        report.amount_paid = f"{total_paid:.2f}"

    def _plb(self, st, key, trace, paid, today, npi, late, recoup) -> list[ProviderAdjustment]:
        """Provider-level adjustments (PLB; a positive amount reduces the payment):

        * L6 interest (negative) per claim paid past the payer's prompt-pay window, at the
          scenario's annual rate for the days late; PLB03-2 = our claim number (CLP01);
        * WO (positive) recovering part of an earlier payment, PLB03-2 = that claim's CLP01;
        * FB: when the 835 would pay less than zero, the payer forwards the balance (FB negative)
          and recovers it from the next 835 to the same payee (FB positive, the same reference),
          so every positive FB answers an earlier negative one.
        """
        fy = dt.date(today.year, 12, 31)
        prov = npi or "1999999984"
        out: list[ProviderAdjustment] = []
        ckey = "|".join(key)
        for p, days in late:
            interest = max(Decimal("0.01"),
                           adj.cents(p.paid * self.scenario.interest_rate_percent / 100 * days / 365))
            out.append(ProviderAdjustment(prov, fy, "L6", p.claim_id, -interest))
        carries = st["fb_carry"].get(ckey) or []
        if isinstance(carries, str):              # state written before references were kept
            carries = [["FB", carries]] if Decimal(carries) > 0 else []
        if len(out) + len(recoup) + len(carries) + 1 > 6 and len(out) > 1:
            # one PLB segment holds six adjustments (and pyx12 accepts one): the interest of this
            # 835 as a single L6 naming its trace number
            out = [ProviderAdjustment(prov, fy, "L6", trace, sum((p.amount for p in out), ZERO))]
        for claim_id, amount in recoup:
            out.append(ProviderAdjustment(prov, fy, "WO", claim_id, amount))
        net = paid - sum((p.amount for p in out), ZERO)
        left = []
        for ref, amt in carries:
            amt = Decimal(amt)
            take = min(amt, max(ZERO, net))
            if take > 0:
                out.append(ProviderAdjustment(prov, fy, "FB", ref, take))
                net -= take
            if amt - take > 0:
                left.append([ref, str(amt - take)])
        if net < 0:     # more taken back than paid: the payer forwards the balance
            ref = f"FB{trace}"
            out.append(ProviderAdjustment(prov, fy, "FB", ref, net))
            left.append([ref, str(-net)])
        st["fb_carry"][ckey] = left
        return out


def _xo_key(payer_id: str, member_id: str, ci: adj.ClaimIn) -> str:
    return f"{payer_id}|{member_id}|{ci.service_from}|{ci.total_charge}"


# --------------------------------------------------------------------------- helpers

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_-]")


def name_part(value, length: int) -> str:
    """A partner-supplied value (ISA13, a payer id, a trace number) as a file-name part:
    only ASCII letters, digits, '-' and '_' (anything else becomes '_'), exactly `length`
    characters (cut, or left-padded with '0' as X12 control numbers are)."""
    return _NOT_NAME_CHAR.sub("_", str(value))[:length].rjust(length, "0")


def safe_file_name(name: str, limit: int = 120) -> str:
    """One path component from allow-listed characters: no '/', no '..', no leading dot."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, "txt"
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".") or "file"
    ext = _NOT_NAME_CHAR.sub("_", ext)[:10] or "txt"
    return f"{stem[:limit - len(ext) - 1]}.{ext}"


def _safe(s: str) -> str:
    return _NOT_NAME_CHAR.sub("_", s)[:30] or "PAYER"


def _findings_in(findings: list[Finding], start: int, end: int | None) -> list[Finding]:
    return [f for f in findings if f.segment_index is not None and f.segment_index >= start
            and (end is None or f.segment_index <= end)]


def _segment_errors(findings: list[Finding], st_index: int) -> list[SegmentError]:
    """IK3/IK4 from pyx12 findings, one IK3 per segment."""
    by_seg: dict[int, SegmentError] = {}
    for f in findings:
        code = f.code.split(":", 1)[-1]
        se = by_seg.get(f.segment_index)
        if se is None:
            se = by_seg[f.segment_index] = SegmentError(f.segment or "ST", f.segment_index - st_index + 1,
                                                        code if code in IK3_CODES and not f.element else "8")
        if f.element:
            pos = f.element[len(f.segment or ""):].lstrip("0") or "1"
            pos = ":".join(x.lstrip("0") or "0" for x in pos.split("-"))
            if code in IK4_CODES:
                se.elements.append(ElementError(pos, code))
            se.error_code = "8"
    return list(by_seg.values())


def _isa_bytes(data: bytes, isa: Interchange) -> bytes:
    """The bytes of one interchange (so multi-interchange files answer each on its own)."""
    start = isa.header.offset
    end = isa.trailer.offset if isa.trailer is not None else len(data)
    stop = data.find(isa.header.delimiters.segment.encode(), end)
    return data[start: (stop + 1) if stop >= 0 else len(data)]


def _inquiries_270(data, name):
    from include.edi.x270 import parse_270
    return parse_270(data, name)
