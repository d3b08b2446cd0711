"""Eligibility: answer a 270 with a 271 from the payer's roster, in a file or over HTTP.

The HTTP endpoint follows the shape of CAQH CORE real-time connectivity (see README.md):
``POST /x12/270`` with an X12 270 body and HTTP Basic authentication; the answer is the
271 interchange in the response body.
"""
from __future__ import annotations

import base64
import datetime as dt
import hmac
import itertools
import logging
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from include.edi.errors import X12Error
from include.edi.reader import read_interchanges
from include.edi.x270 import EligibilityInquiry, parse_270
from include.edi.x271 import Benefit, EligibilityResponse, Rejection, build_271

from .roster import Member, Roster

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20


def _plan_benefits(m: Member, acc_deductible_met: Decimal | None = None) -> list[Benefit]:
    met = m.deductible_met if acc_deductible_met is None else acc_deductible_met
    remaining = max(Decimal(0), m.deductible - met)
    oop_remaining = max(Decimal(0), m.out_of_pocket_max - met)
    plan = m.group_number or None
    out = [Benefit("1", "IND", ["30"], "C1", plan)]
    if m.copay > 0:
        out.append(Benefit("B", "IND", ["98"], None, None, "27", amount=m.copay, in_network="Y"))
    out.append(Benefit("A", "IND", ["30"], None, None, None, percent=m.coinsurance, in_network="Y"))
    out.append(Benefit("C", "IND", ["30"], None, None, "23", amount=m.deductible, in_network="Y"))
    out.append(Benefit("C", "IND", ["30"], None, None, "29", amount=remaining, in_network="Y"))
    out.append(Benefit("G", "IND", ["30"], None, None, "23", amount=m.out_of_pocket_max, in_network="Y"))
    out.append(Benefit("G", "IND", ["30"], None, None, "29", amount=oop_remaining, in_network="Y"))
    return out


def eligibility_response(inq: EligibilityInquiry, roster: Roster, today: dt.date) -> EligibilityResponse:
    """The 271 answer for one inquiry: active (plan and cost sharing), inactive, or not found."""
    if inq.is_dependent:
        member = roster.find(inq.payer_id, inq.member_id, last_name=inq.dependent_last_name,
                             first_name=inq.dependent_first_name, birth_date=inq.dependent_birth_date)
    else:
        member = roster.find(inq.payer_id, inq.member_id, last_name=inq.last_name, first_name=inq.first_name,
                             birth_date=inq.birth_date)
    r = EligibilityResponse(trace_numbers=[inq.trace_number], member_id=inq.member_id or None,
                            last_name=inq.last_name or None, first_name=inq.first_name,
                            payer_id=inq.payer_id or None, payer_name=inq.payer_name or None)
    if inq.is_dependent:
        r.is_dependent = True
        r.last_name, r.first_name = inq.dependent_last_name, inq.dependent_first_name
        r.relationship_code = "19"
        if member is not None and not member.is_subscriber:
            r.relationship_code = member.relationship_code
            r.birth_date = member.birth_date
    if member is None:
        # AAA*Y**75*C: subscriber/insured not found, please correct and resubmit
        r.rejections = [Rejection("75", "C", "Y")]
        return r
    if not inq.is_dependent:
        r.last_name, r.first_name = member.last_name, member.first_name
        r.birth_date, r.sex = member.birth_date, member.sex if member.sex in ("M", "F") else None
    r.group_number = member.group_number
    on = inq.service_date or today
    r.dates = {"346": (member.plan_begin, None)}
    if member.plan_end:
        r.dates["347"] = (member.plan_end, None)
    if member.covered_on(on):
        r.benefits = _plan_benefits(member)
    else:
        r.benefits = [Benefit("6", "IND", ["30"])]
    return r


def respond_270(data: bytes, roster: Roster, *, sender_id: str, interchange_control_number: int,
                now: dt.datetime, name: str | None = None) -> bytes:
    """A 271 interchange answering every inquiry of a 270 interchange.

    Raises X12Error when the input is not a readable 270."""
    isas = read_interchanges(data, name)
    sets_270 = [t for i in isas for g in i.groups for t in g.transactions if t.type == "270"]
    if not sets_270:
        raise X12Error("no 270 transaction set found", file=name)
    inquiries = parse_270(sets_270, name)      # the transaction sets already read: the bytes are read once
    receiver = isas[0].sender_id.strip() or "SUBMITTER"
    first = inquiries[0] if inquiries else None
    responses = [eligibility_response(q, roster, now.date()) for q in inquiries]
    payer_id = (first.payer_id if first else "") or sender_id
    return build_271(responses, sender_id=sender_id, receiver_id=receiver,
                     interchange_control_number=interchange_control_number,
                     group_control_number=interchange_control_number,
                     payer_name=(first.payer_name if first else "") or roster.payer_name(payer_id),
                     payer_id=payer_id, provider_npi=(first.provider_npi if first else "") or "1999999984",
                     provider_name=(first.provider_name if first else "") or "PROVIDER", created=now)


# --------------------------------------------------------------------------- HTTP (real time)

class _Handler(BaseHTTPRequestHandler):
    server_version = "SandboxEligibility/1.0"
    protocol_version = "HTTP/1.1"
    # keep-alive clients send the next 270 on the same connection: with Nagle on, the body
    # written after the headers would wait for the client's delayed ACK (about 40 ms a request)
    disable_nagle_algorithm = True
    # the status line, headers and body leave in one write (one segment, one wake-up of the client),
    # flushed by handle_one_request after each request; a larger answer is written through
    wbufsize = 1 << 16

    def log_message(self, fmt, *args):  # method/path/status only: bodies carry PHI
        if log.isEnabledFor(logging.DEBUG):      # formatted only when kept (a line per request)
            log.debug("eligibility http: %s", fmt % args)

    def date_time_string(self, timestamp=None):
        # the Date header changes once a second: formatted once a second, not once a request
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached = self.server.date_header
        if cached[0] != now:
            cached = self.server.date_header = (now, super().date_time_string(now))
        return cached[1]

    def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        creds = self.server.credentials
        if creds is None:
            return True
        h = self.headers.get("Authorization", "")
        if hmac.compare_digest(h.encode("latin-1", "replace"), self.server.expected_authorization):
            return True             # the usual header, compared as it comes (the decode below takes the others)
        if not h.startswith("Basic "):
            return False
        try:
            user, _, pw = base64.b64decode(h[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, creds[0]) & hmac.compare_digest(pw, creds[1])

    def do_GET(self):
        if self.path == "/health":
            return self._send(200, b"ok\n")
        return self._send(404, b"not found: POST /x12/270\n")

    def do_POST(self):
        if self.path.split("?")[0] != "/x12/270":
            return self._send(404, b"not found: POST /x12/270\n")
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self.close_connection = True        # the body is not read: the connection can't be reused
            return self._send(413 if n > 0 else 400, b"body too large (max 1 MiB)\n" if n > 0
                              else b"bad Content-Length\n", extra={"Connection": "close"})
        body = self.rfile.read(n) if n else b""
        if not self._authorized():
            return self._send(401, b"authentication required\n",
                              extra={"WWW-Authenticate": 'Basic realm="sandbox-eligibility"'})
        if not body:
            return self._send(400, b"empty body: send a 270 interchange\n")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in ("application/edi-x12", "application/x12", "text/plain", ""):
            return self._send(415, b"Content-Type must be application/EDI-X12\n")
        srv = self.server
        with srv.counter_lock:
            icn = next(srv.counter)
        try:
            out = respond_270(body, srv.roster, sender_id=srv.sender_id, interchange_control_number=icn,
                              now=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None), name="request")
        except X12Error as exc:
            msg = " ".join(str(exc).split())[:300]
            return self._send(400, f"unreadable 270: {msg}\n".encode())
        return self._send(200, out, "application/EDI-X12")


class EligibilityHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, roster: Roster, credentials, sender_id: str):
        super().__init__(addr, _Handler)
        self.roster = roster
        self.credentials = credentials
        self.sender_id = sender_id
        self.counter = itertools.count(1)
        self.counter_lock = threading.Lock()
        self.date_header = (0, "")
        self.expected_authorization = (b"Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode())
                                       if credentials else b"\0")

    def shutdown(self):
        super().shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/x12/270"


def serve_eligibility_http(roster: Roster, host: str = "127.0.0.1", port: int = 0, *,
                           user: str | None = None, password: str | None = None,
                           sender_id: str = "SANDBOX") -> EligibilityHTTPServer:
    """Start the real-time 270/271 endpoint in a daemon thread; stop it with ``.shutdown()``.

    ``port=0`` picks a free port (see ``server.server_address`` / ``server.url``)."""
    if user and not password:
        raise ValueError("the eligibility endpoint needs a password for its user (HTTP Basic)")
    creds = (user, password) if user else None
    srv = EligibilityHTTPServer((host, port), roster, creds, sender_id)
    t = threading.Thread(target=srv.serve_forever, name="sandbox-eligibility-http", daemon=True)
    t.start()
    srv.thread = t
    return srv
