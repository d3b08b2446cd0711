"""Eligibility: reading 271 answers (built by the sandbox from a roster) and the real-time client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from include.billing.eligibility import CheckResult, MemberError, RealtimeTransport, result_from_271
from include.billing.transport import TransportError
from include.edi.x270 import EligibilityInquiry, build_270
from include.edi.x271 import parse_271

DOS = dt.date(2026, 11, 2)


def _roster(status="active", plan_end=None):
    from include.sandbox.roster import Member, Roster, RosterPayer

    member = Member(payer_id="BCBS1", member_id="M123", last_name="ROE", first_name="ANN",
                    birth_date=dt.date(1970, 1, 1), sex="F", group_number="G1", status=status,
                    plan_begin=dt.date(2025, 1, 1), plan_end=plan_end, copay=Decimal("25"),
                    coinsurance=Decimal("0.2"), deductible=Decimal("1000"), deductible_met=Decimal("300"),
                    out_of_pocket_max=Decimal("5000"))
    return Roster([member], [RosterPayer("BCBS1", "BLUE")])


def _ask(roster, member_id="M123", day=DOS):
    from include.sandbox.eligibility import respond_270

    q = EligibilityInquiry(trace_number="E7-20261102", member_id=member_id, last_name="ROE", first_name="ANN",
                           payer_name="BLUE", payer_id="BCBS1", provider_npi="1234567893",
                           provider_name="CLINIC", service_date=day)
    request = build_270([q], sender_id="BILLINGSVC", receiver_id="SANDBOX", interchange_control_number=1,
                        group_control_number=1)
    body = respond_270(request, roster, sender_id="SANDBOX", interchange_control_number=5,
                       now=dt.datetime(2026, 11, 27, 10, 0))
    [answer] = parse_271(body)
    assert answer.trace_numbers == ["E7-20261102"]
    return result_from_271(7, answer)


def test_active_member_with_cost_sharing():
    r = _ask(_roster())
    assert r.status == "active" and r.covers(DOS)
    assert r.copay == Decimal("25") and r.coinsurance_percent == Decimal("0.2")
    assert r.deductible == Decimal("1000") and r.deductible_remaining == Decimal("700")


def test_terminated_before_the_date_of_service_is_inactive():
    r = _ask(_roster("terminated", plan_end=dt.date(2026, 10, 31)))
    assert not r.covers(DOS)


def test_terminated_after_the_date_of_service_still_covers_it():
    r = _ask(_roster("terminated", plan_end=dt.date(2026, 12, 31)))
    assert r.covers(DOS)


def test_unknown_member_is_unknown_with_the_aaa_reason():
    r = _ask(_roster(), member_id="NOPE")
    assert r.status == "unknown" and "75" in r.reject_reason and not r.covers(DOS)


@pytest.mark.parametrize("status, begin, end, day, covered", [
    ("active", None, None, DOS, True),
    ("active", dt.date(2026, 12, 1), None, DOS, False),
    ("inactive", None, None, DOS, False),
    ("inactive", dt.date(2026, 1, 1), dt.date(2026, 11, 30), DOS, True),
    ("unknown", None, None, DOS, False),
    ("error", None, None, DOS, False),
])
def test_covers(status, begin, end, day, covered):
    assert CheckResult(1, status, plan_begin=begin, plan_end=end).covers(day) is covered


def test_realtime_transport_errors(practice_free_port=None):
    from include.sandbox.eligibility import serve_eligibility_http

    srv = serve_eligibility_http(_roster(), user="u", password="p")
    try:
        with pytest.raises(TransportError, match="credentials"):
            RealtimeTransport(srv.url, "u", "wrong").exchange(b"ISA")
        with pytest.raises(MemberError):
            RealtimeTransport(srv.url, "u", "p").exchange(b"not x12 at all")
        url = srv.url
    finally:
        srv.shutdown()
    with pytest.raises(TransportError, match="unreachable"):
        RealtimeTransport(url, "u", "p", timeout=2).exchange(b"ISA")


def _request():
    q = EligibilityInquiry(trace_number="E7-20261102", member_id="M123", last_name="ROE", first_name="ANN",
                           payer_name="BLUE", payer_id="BCBS1", provider_npi="1234567893",
                           provider_name="CLINIC", service_date=DOS)
    return build_270([q], sender_id="BILLINGSVC", receiver_id="SANDBOX", interchange_control_number=1,
                     group_control_number=1)


def test_realtime_transport_keeps_its_connection_alive():
    from include.sandbox.eligibility import serve_eligibility_http

    srv = serve_eligibility_http(_roster(), user="u", password="p")
    try:
        transport = RealtimeTransport(srv.url, "u", "p")
        first = transport.exchange(_request())
        [conn] = transport._idle
        for _ in range(5):
            assert parse_271(transport.exchange(_request()))[0].trace_numbers == ["E7-20261102"]
        assert transport._idle == [conn]            # one connection for all six requests
        with pytest.raises(MemberError):            # a 4xx answer keeps the connection usable
            transport.exchange(b"not x12 at all")
        assert transport._idle == [conn]
        transport.close()
        assert transport._idle == [] and conn.sock is None
        assert parse_271(transport.exchange(_request())) and parse_271(first)
    finally:
        srv.shutdown()


def test_realtime_transport_asks_again_when_the_payer_closed_an_idle_connection():
    """A server that drops every connection after its answer (without saying Connection: close)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"271")
            self.close_connection = True

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        transport = RealtimeTransport(f"http://127.0.0.1:{srv.server_address[1]}/x12/270")
        assert [transport.exchange(b"270-%d" % i) for i in range(3)] == [b"271"] * 3
        assert seen == [b"270-0", b"270-1", b"270-2"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_realtime_transport_goes_through_a_configured_proxy(monkeypatch):
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert RealtimeTransport("http://payer.example/x12/270")._direct is False
    monkeypatch.setenv("no_proxy", "payer.example")
    assert RealtimeTransport("http://payer.example/x12/270")._direct is True


def test_a_271_is_known_by_its_st_and_guide_not_by_bytes_in_its_header():
    """The outbound folder also holds 999s, 277CAs and whatever a partner drops there: only a 271
    (ST01 271 under 005010X279A1) is read as an answer to our 270s."""
    from include.billing.inbox import classify
    from include.sandbox.eligibility import respond_270

    q = EligibilityInquiry(trace_number="E7-20261102", member_id="M123", last_name="ROE", first_name="ANN",
                           payer_name="BLUE", payer_id="BCBS1", provider_npi="1234567893",
                           provider_name="CLINIC", service_date=DOS)
    # a 270 whose sender id is 271...: its header carries "271", but it is not an answer
    request = build_270([q], sender_id="271271271", receiver_id="SANDBOX", interchange_control_number=271,
                        group_control_number=271)
    answer = respond_270(request, _roster(), sender_id="SANDBOX", interchange_control_number=5,
                         now=dt.datetime(2026, 11, 27, 10, 0))
    assert b"271" in request[:400]
    assert classify(request) == "unknown"
    assert classify(answer) == "271"
    assert classify(b"%PDF-1.7 not an interchange") == "unknown"


class _CountingTransport(RealtimeTransport):
    """The real client's limits around an exchange that records how many inquiries each payer has in flight."""

    def __init__(self, **kw):
        import threading

        super().__init__("http://127.0.0.1:9/x12/270", **kw)
        self.in_flight: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.count_lock = threading.Lock()
        self.release = threading.Event()

    def exchange(self, request: bytes) -> bytes:
        payer = request.decode()
        with self.count_lock:
            self.in_flight[payer] = self.in_flight.get(payer, 0) + 1
            self.most[payer] = max(self.most.get(payer, 0), self.in_flight[payer])
        self.release.wait(0.1)            # hold the request open so that others pile up behind it
        with self.count_lock:
            self.in_flight[payer] -= 1
        return b"271"


def test_realtime_transport_keeps_each_payer_within_its_limit():
    from concurrent.futures import ThreadPoolExecutor

    transport = _CountingTransport(workers=6, payer_limits={"slow1": 2}, payer_default=4)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda payer: transport.exchange_for(payer, payer.encode()), ["SLOW1", "OTHER"] * 24))
    assert transport.most["SLOW1"] == 2                 # the payer's own limit (ids compared in upper case)
    assert 2 < transport.most["OTHER"] <= 4             # a payer not named: the default
    assert transport.limit("anyone") == 4 and transport.limit("slow1") == 2


def test_realtime_limits_come_from_the_connection_extra():
    from include.billing.eligibility import realtime_limits

    assert realtime_limits(None) == {}
    assert realtime_limits({"max_concurrency": "12", "payer_max_concurrency": {"87726": 3},
                            "payer_default_concurrency": 6}) == {
        "workers": 12, "payer_limits": {"87726": 3}, "payer_default": 6}
    transport = RealtimeTransport("http://127.0.0.1:9/x12/270", **realtime_limits(
        {"max_concurrency": 4, "payer_max_concurrency": {"87726": 9}}))
    assert transport.limit("87726") == 4                # never more than in flight in all
    with pytest.raises(ValueError):
        RealtimeTransport("http://127.0.0.1:9/x12/270", payer_limits={"87726": 0})


def test_inquiries_are_interleaved_by_payer_in_their_order():
    from types import SimpleNamespace

    from include.billing.eligibility import _interleave_payers

    pending = [SimpleNamespace(n=i, inquiry=SimpleNamespace(payer_id=payer))
               for i, payer in enumerate(["A", "A", "A", "B", "C", "C"])]
    assert [p.n for p in _interleave_payers(pending)] == [0, 3, 4, 1, 5, 2]
