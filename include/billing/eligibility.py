"""Eligibility of new claims: 270 out, 271 back, through a real-time (HTTP) or batch (SFTP) transport.

One check per insurance policy (the subscriber's coverage), reused for
BILLING_ELIGIBILITY_CACHE_DAYS days (longer when the payer's AAA04 says to wait). A claim is held
with a work-queue item routed to whoever can act (docs/eligibility.md) when the 271 says the
coverage was not in force on the date of service (ELIG_INACTIVE), when the payer does not know
the member (AAA patient-data reasons: ELIG_UNKNOWN), when the inquiry failed for a provider or
enrollment reason (AAA 41/43/51/79 …: ELIG_PROVIDER_ENROLLMENT), when coverage is "active - pending
investigation" (EB01 5: ELIG_REVIEW), when the 271 names another payer our records don't agree
with (EB*R: ELIG_COB), or when the payer answered with a clear failure for that member (HTTP 4xx,
an unreadable or missing answer, AAA 42/80, a rejected inquiry: ELIG_ERROR). Transport failures
(connection refused, timeouts, HTTP 5xx, no 271 within the wait) raise TransportError so that
the task is retried and no claim is judged on a network problem.

Request and response files are stored in billing.edi_files before their content is used.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import posixpath
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from include.billing.claims import WorkItem, allocate_control_numbers, hold_claims
from include.billing.inbox import classify
from include.billing.ledger import store_file, store_files
from include.billing.rcm_sql import query, run
from include.billing.transport import RemoteFiles, TransportError, upload_atomically

TRANSIENT_AAA = {"42", "80"}     # payer unable to respond / no response: the payer side failed

# the service type of this practice's visits: professional (physician) visit - office (X12 code 1365)
VISIT_SERVICE_TYPE = "98"
# EB06 time periods that state a plan's full amount (calendar / service year, contract, years, lifetime)
AMOUNT_PERIODS = ("23", "22", "25", "21", "32")
# AAA04 follow-up actions (005010X279A1): wait this many days before asking again
WAIT_DAYS = {"W": 30, "X": 10}
NO_RESUBMIT = frozenset({"N", "S", "Y"})     # resubmission not allowed / third party asked / payer will answer


class MemberError(Exception):
    """A clear failure for one member's inquiry (the payer refused or garbled this request)."""


@dataclass
class CheckResult:
    policy_id: int
    status: str                          # active | inactive | unknown | error | review
    plan_begin: dt.date | None = None
    plan_end: dt.date | None = None
    copay: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None
    reject_reason: str | None = None
    request_file_id: int | None = None
    response_file_id: int | None = None
    follow_up_action: str | None = None      # AAA04
    retry_after: dt.date | None = None       # no new inquiry for this policy before this day (AAA04 W / X)
    route: str | None = None                 # who acts on an AAA: provider | patient | request | payer
    other_payer: dict | None = None          # EB*R: the other or additional payer the 271 names

    def covers(self, day: dt.date) -> bool:
        """Coverage in force on `day` by the 271's plan dates (when given) and status."""
        if self.plan_begin and day < self.plan_begin:
            return False
        if self.plan_end and day > self.plan_end:
            return False
        if self.status == "active":
            return True
        # inactive on the inquiry date, but the plan dates show it covered this day
        return self.status == "inactive" and bool(self.plan_begin and self.plan_end)


_BEGIN_DATES, _END_DATES = ("346", "348", "356", "193"), ("347", "349", "357", "194")


def _in_time(b, day: dt.date | None) -> bool:
    """The benefit's own dates (2110 DTP: plan / benefit / eligibility begin-end) cover `day`."""
    if day is None:
        return True
    for q, (a, e) in b.dates.items():
        if e and e != a:                       # a range (RD8)
            if not (a <= day <= e):
                return False
        elif q in _BEGIN_DATES and a and day < a:
            return False
        elif q in _END_DATES and a and day > a:
            return False
    return True


def select_benefit(benefits, *, periods=None, level="individual", service_type=VISIT_SERVICE_TYPE, day=None,
                   attr="amount"):
    """The one EB row that applies, or None. Rows are filtered and ranked by
    - coverage level (EB02): 'individual' takes IND first, then rows naming no level (never FAM);
      'family' takes FAM only (family accumulators);
    - service type (EB03): the visit's type first, then 30 (health benefit plan coverage), then none;
    - network (EB12): Y (in network) first, then W (not applicable) and unstated; N (out of network) never;
    - time period (EB06) in `periods`, when given, and the row's own dates covering `day`."""
    ranked = []
    for b in benefits:
        if getattr(b, attr) is None or b.in_network == "N" or not _in_time(b, day):
            continue
        if periods is not None and b.time_period not in periods:
            continue
        lvl = b.coverage_level
        if level == "family":
            if lvl != "FAM":
                continue
            lrank = 0
        else:
            if lvl == "FAM":
                continue
            lrank = 0 if lvl == "IND" else 1
        st = b.service_types
        srank = 0 if service_type in st else 1 if "30" in st else 2 if not st else None
        if srank is None:
            continue
        nrank = 0 if b.in_network == "Y" else 1
        ranked.append(((srank, nrank, lrank), b))
    if not ranked:
        return None
    return getattr(min(ranked, key=lambda x: x[0])[1], attr)


def _remaining(benefits, level, service_type, day):
    """Remaining amount (EB06 29), else the plan amount less what is met year to date (EB06 24)."""
    rem = select_benefit(benefits, periods=("29",), level=level, service_type=service_type, day=day)
    if rem is not None:
        return rem
    total = select_benefit(benefits, periods=AMOUNT_PERIODS, level=level, service_type=service_type, day=day)
    ytd = select_benefit(benefits, periods=("24",), level=level, service_type=service_type, day=day)
    return max(total - ytd, Decimal(0)) if total is not None and ytd is not None else None


def _least(*values):
    known = [v for v in values if v is not None]
    return min(known) if known else None


def result_from_271(policy_id: int, resp, *, service_type: str = VISIT_SERVICE_TYPE, day: dt.date | None = None,
                    checked_on: dt.date | None = None) -> CheckResult:
    """Interpret one parsed 271 answer (include.edi.x271.EligibilityResponse) for a visit of
    `service_type` on `day` (docs/eligibility.md):
    - AAA without benefits: who must act (x271.aaa_route) and the follow-up action (AAA04);
    - EB01 = 5 (active - pending investigation) without plain active coverage: 'review';
    - deductible and out-of-pocket: the individual's remaining amounts, lowered to the family's
      remaining when that is smaller (an embedded family accumulator can finish first);
    - EB*R: the other or additional payer it names (a coordination-of-benefits question)."""
    from include.edi.x271 import AAA_REASONS, aaa_route

    checked_on = checked_on or dt.date.today()
    if resp.rejections and not resp.benefits:
        rej = resp.rejections[0]
        code, follow = rej.reason_code, (rej.follow_up_action or None)
        route = aaa_route(code)
        status = "error" if route in ("payer", "request") else "unknown"
        return CheckResult(policy_id, status, reject_reason=f"{code} {AAA_REASONS.get(code, '')}".strip(),
                           follow_up_action=follow, route=route,
                           retry_after=checked_on + dt.timedelta(days=WAIT_DAYS[follow]) if follow in WAIT_DAYS
                           else None)
    if resp.pending_investigation:
        status = "review"
    else:
        status = "active" if resp.active else "inactive" if resp.inactive else "unknown"
    r = CheckResult(policy_id, status, plan_begin=resp.plan_begin, plan_end=resp.plan_end)
    kw = {"service_type": service_type, "day": day}
    r.copay = select_benefit(resp.copays, **kw)
    r.coinsurance_percent = select_benefit(resp.coinsurance, attr="percent", **kw)
    r.deductible = select_benefit(resp.deductibles, periods=AMOUNT_PERIODS, **kw)
    r.deductible_remaining = _least(_remaining(resp.deductibles, "individual", service_type, day),
                                    _remaining(resp.deductibles, "family", service_type, day))
    r.out_of_pocket_remaining = _least(_remaining(resp.out_of_pocket, "individual", service_type, day),
                                       _remaining(resp.out_of_pocket, "family", service_type, day))
    for b in resp.other_payers:
        named = sorted(b.entities, key=lambda e: e.entity_code != "PRP")     # a named primary payer first
        e = named[0] if named else None
        r.other_payer = {"entity_code": e.entity_code if e else None, "name": e.name if e else None,
                         "identifier": e.identifier if e else None, "insurance_type": b.insurance_type}
        break
    return r


def cob_question(res: CheckResult, responsibility: str, this_payer: str | None, on_file: list[tuple]) -> str | None:
    """Why an EB*R needs a person before the claim goes out, or None when our records agree.

    `on_file`: the patient's OTHER policies as (priority, payer identifier, payer name). The 271 names
    another payer; it needs no one when that payer is on file and the order agrees: a payer named
    primary (2120 NM1*PRP) must be our primary and this claim not the primary."""
    other = res.other_payer
    if not other:
        return None
    ident, name = (other.get("identifier") or "").upper(), (other.get("name") or "").upper()
    label = other.get("name") or other.get("identifier") or "another payer"
    if ident and ident == (this_payer or "").upper():
        return None
    match = [p for p in on_file if (ident and ident == (p[1] or "").upper()) or (name and name == (p[2] or "").upper())]
    if other.get("entity_code") == "PRP":
        if responsibility == "P":
            return (f"The payer reports {label} as the PRIMARY payer, but this claim bills it as primary. "
                    "Confirm the order of benefits with the patient and both payers, update the visit's coverage, "
                    "then release the claim to the right payer.")
        if not any(p[0] == "primary" for p in match):
            return (f"The payer reports {label} as the primary payer, which is not the patient's primary policy "
                    "on file. Confirm the coverage and its order, then release the claim.")
        return None
    if not match:
        return (f"The payer reports other or additional coverage ({label}) that is not on file for this patient. "
                "Ask the patient, add the policy and confirm the order of benefits before the claim goes out.")
    return None


def _follow_up_words(res: CheckResult) -> str:
    from include.edi.x271 import FOLLOW_UP

    f = res.follow_up_action
    if not f:
        return ""
    words = f" The payer's follow-up (AAA04 {f}): {FOLLOW_UP.get(f, f)}"
    if res.retry_after:
        return words + f"; no new inquiry before {res.retry_after.isoformat()}."
    if f in NO_RESUBMIT:
        return words + "; do not send the inquiry again."
    return words + "."


def eligibility_item(claim_id: int, res: CheckResult, dos: dt.date, payer_name: str | None = None) -> WorkItem | None:
    """The work item an eligibility answer needs for one claim (None when the claim may go on),
    routed to whoever can act: provider enrollment, the patient's data, the payer's status, review."""
    payer = payer_name or "the payer"
    details = {"route": res.route, "follow_up_action": res.follow_up_action,
               "retry_after": res.retry_after.isoformat() if res.retry_after else None,
               "reject_reason": res.reject_reason}
    follow = _follow_up_words(res)
    if res.status == "error":
        if res.route == "request":
            text = (f"The payer rejected the eligibility inquiry itself ({res.reject_reason}): correct the "
                    "request data (dates of service, service type) and check again." + follow)
        else:
            text = ("Eligibility could not be confirmed: the payer answered with an error for this member "
                    f"({res.reject_reason or 'no usable 271'}). Check coverage by phone or portal, then release "
                    "the claim." + follow)
        return WorkItem(claim_id, "eligibility", "ELIG_ERROR", text, details=details)
    if res.status == "unknown" and res.route == "provider":
        return WorkItem(claim_id, "eligibility", "ELIG_PROVIDER_ENROLLMENT",
                        f"{payer} rejected the inquiry for a provider or enrollment reason ({res.reject_reason}). "
                        "This is not the patient's data: check the practice's and the rendering provider's "
                        f"enrollment, NPI and identifiers with {payer} (provider enrollment), then check again."
                        + follow, details=details)
    if res.status == "unknown":
        return WorkItem(claim_id, "eligibility", "ELIG_UNKNOWN",
                        "The payer does not recognise the member "
                        f"({res.reject_reason or 'no coverage information'}). Verify the member id, name and date "
                        "of birth with the patient and the card." + follow, details=details)
    if res.status == "review":
        return WorkItem(claim_id, "eligibility", "ELIG_REVIEW",
                        f"{payer} reports the coverage as active - pending investigation (EB01 5): the payer is "
                        "still confirming it. Confirm coverage with the payer before the claim goes out.",
                        details=details)
    if not res.covers(dos):
        return WorkItem(claim_id, "eligibility", "ELIG_INACTIVE",
                        "The payer reports the coverage was not in force on the date of service "
                        "(inactive or terminated). Find current coverage or bill the patient.", details=details)
    return None


# --------------------------------------------------------------------------- transports

class RealtimeTransport:
    """CAQH CORE-style real-time: POST /x12/270 with Basic auth, the 271 in the response body.

    One 270 per request, as real-time eligibility works. The connections are HTTP/1.1 keep-alive
    and reused from request to request, at most `workers` of them open at once (the way a
    browser or any HTTP client library talks to one host): the payer sees at most `workers`
    inquiries in flight, not one new TCP (and TLS) connection per member. Through a proxy from
    the environment (http_proxy / https_proxy), each request goes through urllib as before.

    Concurrency (docs/eligibility.md, "How many inquiries at once"): at most `workers` requests in
    flight in all, and at most `payer_limits[payer id]` (else `payer_default`) for one payer, the
    limit its companion guide states; the requests of several payers are interleaved so that one
    payer's limit does not idle the others.
    """

    name = "realtime"

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 timeout: float = 30.0, workers: int = 8, payer_limits: dict[str, int] | None = None,
                 payer_default: int | None = None):
        if workers < 1 or any(n < 1 for n in (payer_limits or {}).values()) or (payer_default or 1) < 1:
            raise ValueError("eligibility concurrency limits must be at least 1")
        self.url = url
        self.timeout = timeout
        self.workers = workers
        self.payer_limits = {k.upper(): int(v) for k, v in (payer_limits or {}).items()}
        self.payer_default = payer_default
        self._gates: dict[str, threading.BoundedSemaphore] = {}
        self.headers = {"Content-Type": "application/EDI-X12"}
        if user:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        parts = urllib.parse.urlsplit(url)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        self._direct = (self._scheme in ("http", "https") and bool(self._host)
                        and (self._scheme not in urllib.request.getproxies()
                             or bool(urllib.request.proxy_bypass(self._host))))
        self._idle: list[http.client.HTTPConnection] = []      # kept-alive connections not in use
        self._lock = threading.Lock()

    def exchange(self, request: bytes) -> bytes:
        if not self._direct:
            return self._exchange_urllib(request)
        for _attempt in range(2):
            conn, reused = self._checkout()
            try:
                conn.request("POST", self._target, body=request, headers=self.headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if reused and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                    # the payer closed a connection that sat idle (RemoteDisconnected is a
                    # ConnectionResetError): ask again on a new one; an inquiry changes nothing
                    continue
                raise TransportError(f"eligibility endpoint unreachable: {exc}") from None
            if resp.will_close:
                conn.close()
            else:
                with self._lock:
                    self._idle.append(conn)
            return self._answer(resp.status, body)
        raise TransportError("eligibility endpoint closed the connection twice without answering")

    def limit(self, payer_id: str | None) -> int:
        """The most inquiries in flight at once for this payer."""
        n = self.payer_limits.get((payer_id or "").upper(), self.payer_default or self.workers)
        return min(n, self.workers)

    def exchange_for(self, payer_id: str | None, request: bytes) -> bytes:
        """`exchange`, waiting first while the payer already has `limit(payer_id)` inquiries in flight."""
        key = (payer_id or "").upper()
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = threading.BoundedSemaphore(self.limit(payer_id))
        with gate:
            return self.exchange(request)

    def close(self) -> None:
        """Close the kept-alive connections (the next exchange opens new ones)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _checkout(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout), False

    @staticmethod
    def _answer(status: int, body: bytes) -> bytes:
        if 200 <= status < 300:
            return body
        if status in (401, 403):
            raise TransportError(f"eligibility endpoint refused our credentials (HTTP {status}); "
                                 f"check the eligibility_api connection")
        if 400 <= status < 500 and status not in (408, 429):
            raise MemberError(f"HTTP {status}")
        raise TransportError(f"eligibility endpoint answered HTTP {status}")

    def _exchange_urllib(self, request: bytes) -> bytes:
        req = urllib.request.Request(self.url, data=request, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            return self._answer(exc.code, b"")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(f"eligibility endpoint unreachable: {reason}") from None


class BatchSftpTransport:
    """Batch: one 270 file into the clearinghouse inbound folder, the 271 picked up from outbound."""

    name = "batch"

    def __init__(self, remote: RemoteFiles, inbound: str = "inbound", outbound: str = "outbound",
                 wait_seconds: float = 120.0, poll_seconds: float = 1.0):
        self.remote = remote
        self.inbound = inbound
        self.outbound = outbound
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds

    def send(self, name: str, data: bytes) -> None:
        upload_atomically(self.remote, data, self.inbound, name)

    def collect(self, traces: set[str]) -> list[tuple[str, bytes]]:
        """Poll outbound/ until 271 files answering every trace number are there (bounded wait)."""
        from include.edi.x271 import parse_271

        found: list[tuple[str, bytes]] = []
        missing = set(traces)
        seen: set[str] = set()
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                names = self.remote.listdir(self.outbound)
            except Exception as exc:
                raise TransportError(f"cannot list the outbound folder: {exc.__class__.__name__}") from exc
            for name in names:
                if name in seen or name.endswith(".part"):
                    continue
                seen.add(name)
                path = posixpath.join(self.outbound, name)
                try:
                    data = self.remote.read(path)
                except Exception as exc:
                    raise TransportError(f"cannot read {name}: {exc.__class__.__name__}") from exc
                if classify(data) != "271":   # 999s, 277CAs and partners' drops share the folder
                    continue
                try:
                    answered = {t for r in parse_271(data, name) for t in r.trace_numbers}
                except Exception:
                    continue        # not a 271 we can read; the responses DAG reports such files
                if answered & missing:
                    found.append((name, data))
                    missing -= answered
            if not missing:
                return found
            if time.monotonic() >= deadline:
                raise TransportError(f"no 271 for {len(missing)} of {len(traces)} inquiries after "
                                     f"{self.wait_seconds:.0f} s; the task will be retried")
            time.sleep(self.poll_seconds)


# --------------------------------------------------------------------------- the step

@dataclass
class _Pending:
    policy_id: int
    service_date: dt.date
    inquiry: object
    claim_ids: list[int]


def _inquiry(row, trace: str):
    """The 270 inquiry of one row of submission/eligibility_claims.sql (a named row)."""
    from include.edi.x270 import EligibilityInquiry

    q = EligibilityInquiry(trace_number=trace, member_id=row.member_id or "", last_name=row.subscriber_last_name,
                           first_name=row.subscriber_first_name, birth_date=row.subscriber_birth_date,
                           sex=row.subscriber_sex if row.subscriber_sex in ("M", "F") else None,
                           payer_name=row.payer_name, payer_id=row.payer_identifier, provider_npi=row.billing_npi,
                           provider_name=row.organization_name, group_number=row.group_number or None)
    if row.relationship_code and row.relationship_code != "18":
        q.dependent_last_name, q.dependent_first_name = row.patient_last_name, row.patient_first_name
        q.dependent_birth_date = row.patient_birth_date
        q.dependent_sex = row.patient_sex if row.patient_sex in ("M", "F") else None
    return q


def check_new_claims(conn, *, transport, actor: str, today: dt.date, cache_days: int = 7,
                     sender_id: str = "BILLINGSVC", usage_indicator: str = "P",
                     through_claim_id: int | None = None) -> dict:
    """Check eligibility for every claim in status new; hold those not covered.

    `transport` is a RealtimeTransport or a BatchSftpTransport. With ``through_claim_id``, only the claims up
    to that id (one wave of the backlog, submission.wave_end). Returns counts only.
    """
    rows = run(conn, "submission", "eligibility_claims", {"through_claim_id": through_claim_id}).fetchall()
    by_policy: dict[int, list] = {}          # one inquiry per policy, however many of its claims wait
    for r in rows:
        by_policy.setdefault(r.policy_id, []).append(r)
    cached = {}
    if by_policy:
        for r in run(conn, "submission", "eligibility_cached",
                     {"policy_ids": list(by_policy), "cache_days": cache_days, "today": today}).fetchall():
            cached[r.policy_id] = CheckResult(r.policy_id, r.status, plan_begin=r.plan_begin, plan_end=r.plan_end,
                                              reject_reason=r.reject_reason, follow_up_action=r.follow_up_action,
                                              retry_after=r.retry_after, route=r.route, other_payer=r.other_payer)
    pending: list[_Pending] = []
    partner_of: dict[int, str] = {}
    for policy_id, prow in by_policy.items():
        partner_of[policy_id] = prow[0].clearinghouse or "sandbox"
        if policy_id in cached:
            continue
        service_date = max(r.date_of_service for r in prow)
        trace = f"E{policy_id}-{service_date:%Y%m%d}"
        pending.append(_Pending(policy_id, service_date, _inquiry(prow[-1], trace), [r.claim_id for r in prow]))
        pending[-1].inquiry.service_date = service_date

    fresh: dict[int, CheckResult] = {}
    if pending:
        service_dates = {p.policy_id: p.service_date for p in pending}

        def store_checks(results):
            _store_results(conn, results, service_dates, transport.name)

        if transport.name == "realtime":
            # stores the checks itself, chunk by chunk, as the answers come in
            fresh = _realtime(conn, transport, pending, partner_of, sender_id, usage_indicator, store_checks)
        else:
            fresh = _batch(conn, transport, pending, partner_of, sender_id, usage_indicator)
            store_checks(fresh.values())

    results = {**cached, **fresh}
    items: list[WorkItem] = []
    with_other_payer = [r.claim_id for prow in by_policy.values() for r in prow if results[r.policy_id].other_payer]
    on_file: dict[int, tuple] = {}
    if with_other_payer:
        for o in run(conn, "submission", "eligibility_other_policies",
                     {"claim_ids": with_other_payer}).fetchall():
            entry = on_file.setdefault(o.claim_id, (o.responsibility, o.this_payer, []))
            if o.priority is not None:
                entry[2].append((o.priority, o.other_payer, o.other_payer_name))
    for policy_id, prow in by_policy.items():
        res = results[policy_id]
        for r in prow:
            claim_id, dos = r.claim_id, r.date_of_service
            item = eligibility_item(claim_id, res, dos, r.payer_name)
            if item is None and res.other_payer:
                resp, this_payer, others = on_file.get(claim_id, ("P", r.payer_identifier, []))
                question = cob_question(res, resp, this_payer, others)
                if question:
                    item = WorkItem(claim_id, "eligibility", "ELIG_COB", question,
                                    details={"other_payer": res.other_payer, "route": "coordination_of_benefits"})
            if item is not None:
                items.append(item)
    held = hold_claims(conn, items, actor=actor, stage="eligibility")
    by_reason: dict[str, int] = {}
    for i in items:
        by_reason[i.reason_code] = by_reason.get(i.reason_code, 0) + 1
    return {"claims_checked": len(rows), "policies": len(by_policy), "cache_hits": len(cached),
            "inquiries_sent": len(pending), "transport": transport.name, **held, "by_reason": by_reason}


def _store_results(conn, results, service_dates, transport_name):
    results = list(results)
    if not results:
        return
    # one COPY, in the column order of include/sql/queries/submission/copy_eligibility_checks.sql
    cols = ["policy_id", "status", "plan_begin", "plan_end", "copay", "coinsurance_percent", "deductible",
            "deductible_remaining", "out_of_pocket_remaining", "reject_reason", "request_file_id",
            "response_file_id", "follow_up_action", "retry_after", "route"]
    with conn.cursor() as cur, cur.copy(query("submission", "copy_eligibility_checks")) as copy:
        for r in results:
            copy.write_row((service_dates[r.policy_id], transport_name, *[getattr(r, c) for c in cols],
                            json.dumps(r.other_payer) if r.other_payer else None))


def _interleave_payers(pending: list) -> list:
    """The inquiries in turns of one per payer (each payer's in their order): with a per-payer limit, the
    sender threads then wait on one payer only when no other payer has inquiries left."""
    queues: dict[str, list] = {}
    for p in pending:
        queues.setdefault(p.inquiry.payer_id or "", []).append(p)
    out: list = []
    lists = list(queues.values())
    for i in range(max((len(q) for q in lists), default=0)):
        out += [q[i] for q in lists if i < len(q)]
    return out


def realtime_limits(extra: dict | None) -> dict:
    """RealtimeTransport's concurrency keywords from the eligibility connection's extra JSON:
    `max_concurrency` (in flight in all), `payer_max_concurrency` ({payer id: n}) and
    `payer_default_concurrency` (a payer not named). Absent keys keep the defaults."""
    extra = extra or {}
    out: dict = {}
    if extra.get("max_concurrency") is not None:
        out["workers"] = int(extra["max_concurrency"])
    if extra.get("payer_max_concurrency"):
        out["payer_limits"] = {str(k): int(v) for k, v in dict(extra["payer_max_concurrency"]).items()}
    if extra.get("payer_default_concurrency") is not None:
        out["payer_default"] = int(extra["payer_default_concurrency"])
    return out


REALTIME_CHUNK = 500    # inquiries built and stored (and committed) before they are handed to the senders


def _realtime(conn, transport: RealtimeTransport, pending, partner_of, sender_id, usage, store_checks) -> dict:
    from include.edi.x270 import build_270
    from include.edi.x271 import parse_271

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    pending = _interleave_payers(pending)
    # one block of interchange numbers per trading partner (one UPDATE, not one per inquiry)
    next_icn: dict[str, int] = {}
    for partner in {partner_of[p.policy_id] for p in pending}:
        count = sum(1 for p in pending if partner_of[p.policy_id] == partner)
        next_icn[partner] = allocate_control_numbers(conn, partner, "interchange", count)

    failed = threading.Event()
    exchange_for = getattr(transport, "exchange_for", None)

    def call(p: _Pending, data: bytes):
        """One 270 over HTTP and its 271 read (in a sender thread): (body, member error, result)."""
        if failed.is_set():      # a transport failure (or the step's end) before this one left: not sent
            raise TransportError("inquiry not sent after an earlier failure")
        try:
            body = (exchange_for(p.inquiry.payer_id, data) if exchange_for is not None     # per-payer limits
                    else transport.exchange(data))
        except MemberError as exc:
            return None, str(exc), None
        except TransportError:
            failed.set()
            raise
        try:
            answers_271 = [r for r in parse_271(body, "271") if p.inquiry.trace_number in r.trace_numbers]
        except Exception:
            answers_271 = []
        if not answers_271:
            return body, "no answer for this member in the 271", None
        return body, None, result_from_271(p.policy_id, answers_271[0], day=p.service_date)

    requests = []
    out: dict[int, CheckResult] = {}
    senders = _Senders(transport.workers, call)
    try:
        # every request is stored and committed before it leaves; the next chunk is built and
        # stored while the senders work on the previous one
        for start in range(0, len(pending), REALTIME_CHUNK):
            chunk = []
            for p in pending[start:start + REALTIME_CHUNK]:
                partner = partner_of[p.policy_id]
                icn = next_icn[partner]
                next_icn[partner] += 1
                data = build_270([p.inquiry], sender_id=sender_id, receiver_id=partner.upper(),
                                 interchange_control_number=icn, group_control_number=icn,
                                 usage_indicator=usage, created=now)
                chunk.append((p, partner, icn, data))
            req_ids = store_files(conn, [
                {"direction": "out", "transaction_type": "270", "file_name": f"270_RT_{icn:09d}.x12",
                 "content": data, "origin": "realtime", "partner": partner, "state": "stored"}
                for _p, partner, icn, data in chunk])
            conn.commit()      # the requests (and their control numbers) are kept even if the exchange fails
            requests += [(p, partner, icn, req_id) for (p, partner, icn, _data), req_id in zip(chunk, req_ids)]
            if not failed.is_set():     # after a transport failure the rest is stored, not sent
                senders.submit([(p, data) for p, _partner, _icn, data in chunk])
        # the answers are recorded chunk by chunk (requests marked sent, 271s stored, the checks)
        # while the senders still work on later chunks, in one open transaction: a TransportError
        # (the first, in request order) rolls it back below, so no answer is kept
        for start in range(0, len(requests), REALTIME_CHUNK):
            answers = senders.results(start, min(start + REALTIME_CHUNK, len(requests)))
            _record_answers(conn, transport, list(zip(requests[start:start + REALTIME_CHUNK], answers)),
                            out, store_checks)
    except TransportError:
        conn.rollback()     # nothing of the answers is kept: the task is retried, no claim is judged
        raise
    finally:
        failed.set()        # what is still queued is not sent
        senders.stop()
        close = getattr(transport, "close", None)
        if close is not None:
            close()
    return out


class _Senders:
    """`workers` long-lived threads sending the queued inquiries in order, each answer kept at its index.

    One thread per request slot pulling from a queue, not one future per request: the main thread
    wakes once for each chunk of answers it waits for, not once per answer. An exception of `call` is
    raised by `results`, the first in request order (as Future.result would)."""

    _PENDING = object()

    def __init__(self, workers: int, call):
        import queue

        self._call = call
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._answers: list = []            # (True, value) or (False, exception), at the job's index
        self._waiting: range | None = None  # the jobs `results` waits for
        self._missing = 0                   # how many of those are not in yet
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._run, name=f"eligibility-sender-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, jobs: list) -> None:
        """Queue `jobs` (argument tuples of `call`), indexed after those queued before."""
        with self._cond:
            first = len(self._answers)
            self._answers += [self._PENDING] * len(jobs)
        for i, job in enumerate(jobs, first):
            self._jobs.put((i, job))

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            i, job = item
            try:
                answer = (True, self._call(*job))
            except BaseException as exc:    # handed to the main thread, which raises it
                answer = (False, exc)
            with self._cond:
                self._answers[i] = answer
                if self._waiting is not None and i in self._waiting:
                    self._missing -= 1
                    if not self._missing:
                        self._cond.notify()

    def results(self, start: int, stop: int) -> list:
        """The answers of jobs start..stop-1, once all are in; raises the first failure among them."""
        with self._cond:
            if stop > len(self._answers):
                raise TransportError("inquiries not sent after an earlier transport failure")
            self._missing = sum(1 for a in self._answers[start:stop] if a is self._PENDING)
            self._waiting = range(start, stop)
            self._cond.wait_for(lambda: not self._missing)
            self._waiting = None
            answers = self._answers[start:stop]
            self._answers[start:stop] = [None] * (stop - start)     # the 271 bodies are not kept twice
        out = []
        for ok, value in answers:
            if not ok:
                raise value
            out.append(value)
        return out

    def stop(self) -> None:
        """End the threads once they have taken what is queued (the caller may have `call` skip it)."""
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()


def _record_answers(conn, transport, done, out: dict, store_checks) -> None:
    """Mark the requests sent, store their 271s, turn the answers into checks (stored, and kept in `out`)."""
    conn.execute(query("submission", "requests_sent"),
                 {"file_ids": [req_id for (_p, _partner, _icn, req_id), _answer in done]})
    resp_ids = iter(store_files(conn, [
        {"direction": "in", "transaction_type": "271", "file_name": f"271_RT_{icn:09d}.x12", "content": body,
         "origin": transport.url, "partner": partner, "state": "applied"}
        for (_p, partner, icn, _req), (body, _err, _res) in done if body is not None]))
    results = []
    for (p, _partner, _icn, req_id), (body, member_error, res) in done:
        resp_id = next(resp_ids) if body is not None else None
        if res is None:
            res = CheckResult(p.policy_id, "error", reject_reason=member_error)
        res.request_file_id, res.response_file_id = req_id, resp_id
        out[p.policy_id] = res
        results.append(res)
    store_checks(results)


def _batch(conn, transport: BatchSftpTransport, pending, partner_of, sender_id, usage) -> dict:
    from include.edi.x270 import build_270
    from include.edi.x271 import parse_271

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    out: dict[int, CheckResult] = {}
    by_partner: dict[str, list] = {}
    for p in pending:
        by_partner.setdefault(partner_of[p.policy_id], []).append(p)
    for partner, items in by_partner.items():
        icn = allocate_control_numbers(conn, partner, "interchange")
        batch_no = allocate_control_numbers(conn, partner, "batch270")
        data = build_270([p.inquiry for p in items], sender_id=sender_id, receiver_id=partner.upper(),
                         interchange_control_number=icn, group_control_number=icn,
                         usage_indicator=usage, created=now)
        name = f"270_{partner.upper()}_{batch_no:09d}.x12"
        req_id = store_file(conn, direction="out", transaction_type="270", file_name=name, content=data,
                            origin="batch", partner=partner, state="stored").id
        conn.commit()      # stored before it leaves; a failed wait re-sends a new file (an inquiry is harmless)
        transport.send(name, data)
        conn.execute(query("submission", "requests_sent"), {"file_ids": [req_id]})
        files = transport.collect({p.inquiry.trace_number for p in items})
        answers: dict[str, tuple] = {}
        for fname, body in files:
            resp_id = store_file(conn, direction="in", transaction_type="271", file_name=fname, content=body,
                                 origin=posixpath.join(transport.outbound, fname), partner=partner,
                                 state="applied").id
            for r in parse_271(body, fname):
                for t in r.trace_numbers:
                    answers.setdefault(t, (r, resp_id))
        for p in items:
            r, resp_id = answers[p.inquiry.trace_number]
            res = result_from_271(p.policy_id, r, day=p.service_date)
            res.request_file_id, res.response_file_id = req_id, resp_id
            out[p.policy_id] = res
    return out
