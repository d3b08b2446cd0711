"""270 → 271 from the roster: in the mailbox and over the real-time HTTP endpoint."""
from __future__ import annotations

import base64
import datetime as dt
import http.client
from decimal import Decimal

import pytest
import sandbox_world as w

from include.edi.validate import validate_x12
from include.edi.x270 import EligibilityInquiry, build_270
from include.edi.x271 import parse_271
from include.sandbox.clearinghouse import Clearinghouse
from include.sandbox.eligibility import serve_eligibility_http
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario

DOS = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def roster():
    return Roster.from_dict(w.roster_dict(60))


def _inq(m, trace, **kw):
    base = dict(trace_number=trace, member_id=m["member_id"], last_name=m["last_name"], first_name=m["first_name"],
                payer_id=m["payer_id"], payer_name="BLUE PLAN", provider_npi=w.BILLING.npi,
                provider_name="ACME MEDICAL GROUP", service_date=DOS)
    base.update(kw)
    return EligibilityInquiry(**base)


def _270(inquiries, icn=77) -> bytes:
    return build_270(inquiries, sender_id="ACME01", receiver_id="SANDBOX", interchange_control_number=icn,
                     group_control_number=icn, created=dt.datetime(2026, 3, 1, 8, 0))


def _people(roster_d):
    active = next(m for m in roster_d["members"] if m["status"] == "active" and m["copay"] != "0.00")
    term = next(m for m in roster_d["members"] if m["status"] == "terminated")
    return active, term


def test_active_terminated_unknown_and_dependent_in_the_mailbox(tmp_path, roster):
    rd = w.roster_dict(60)
    active, term = _people(rd)
    ch = Clearinghouse(tmp_path / "mb", Scenario(), roster)
    inqs = [_inq(active, "T1"), _inq(term, "T2"), _inq(active, "T3", member_id="NOBODY"),
            _inq(active, "T4", dependent_last_name="KID", dependent_first_name="ONE",
                 dependent_birth_date=dt.date(2015, 1, 2))]
    (ch.inbound / "elig.270").write_bytes(_270(inqs))
    r = ch.process(dt.datetime(2026, 3, 1, 9, 0))
    assert r.eligibility_inquiries == 4 and r.outputs == ["271_000000077.x12"]
    data = (ch.outbound / "271_000000077.x12").read_bytes()
    assert [f for f in validate_x12(data) if f.severity == "error"] == []
    res = {x.trace_number: x for x in parse_271(data)}
    a = res["T1"]
    m = roster.find(active["payer_id"], active["member_id"])
    assert a.status == "active" and a.plan_begin == m.plan_begin
    assert [b.amount for b in a.copays] == [m.copay]
    assert [b.percent for b in a.coinsurance] == [m.coinsurance]
    ded = {b.time_period: b.amount for b in a.deductibles}
    assert ded == {"23": m.deductible, "29": max(Decimal(0), m.deductible - m.deductible_met)}
    assert {b.time_period for b in a.out_of_pocket} == {"23", "29"}
    t = res["T2"]
    assert t.status == "inactive" and t.plan_end == dt.date(2026, 1, 31)
    u = res["T3"]
    assert u.status == "rejected" and [(x.reason_code, x.follow_up_action, x.valid_request)
                                       for x in u.rejections] == [("75", "C", "Y")]
    d = res["T4"]
    assert d.is_dependent and d.status == "active"


@pytest.fixture
def http_server(roster):
    srv = serve_eligibility_http(roster, "127.0.0.1", 0, user="partner", password="pw")
    yield srv
    srv.shutdown()


def _post(srv, body: bytes, auth=("partner", "pw"), path="/x12/270", ctype="application/EDI-X12"):
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    headers = {"Content-Type": ctype}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    out = (resp.status, resp.getheader("Content-Type"), resp.read())
    conn.close()
    return out


def test_http_answers_a_270_with_a_271(http_server):
    active, term = _people(w.roster_dict(60))
    status, ctype, body = _post(http_server, _270([_inq(active, "H1"), _inq(term, "H2")]))
    assert status == 200 and ctype == "application/EDI-X12"
    res = {x.trace_number: x.status for x in parse_271(body)}
    assert res == {"H1": "active", "H2": "inactive"}
    assert [f for f in validate_x12(body) if f.severity == "error"] == []


def test_http_garbage_is_a_400_with_one_line(http_server):
    status, _, body = _post(http_server, b"this is not x12 at all")
    assert status == 400
    assert body.decode().count("\n") == 1 and body.startswith(b"unreadable 270")
    # a valid interchange that is not a 270
    status, _, body = _post(http_server, w.build_file([w.make_claim(1, w.roster_dict(3)["members"][0],
                                                                    __import__("random").Random(1))], 9))
    assert status == 400 and b"no 270" in body


def test_http_needs_the_password(http_server):
    active, _ = _people(w.roster_dict(60))
    assert _post(http_server, _270([_inq(active, "X")]), auth=("partner", "wrong"))[0] == 401
    assert _post(http_server, _270([_inq(active, "X")]), auth=None)[0] == 401
    assert _post(http_server, b"x", path="/elsewhere")[0] == 404
    assert _post(http_server, _270([_inq(active, "X")]), ctype="application/json")[0] == 415


def test_http_answers_carry_an_http_date_and_take_the_credentials_in_either_form(http_server):
    """The Date header is formatted once a second (the same text); Basic credentials are taken as sent
    by any client (the usual header compared directly, any other form decoded as before)."""
    from email.utils import parsedate_to_datetime

    active, _ = _people(w.roster_dict(60))
    host, port = http_server.server_address[:2]
    dates = []
    for token in (base64.b64encode(b"partner:pw"), b" " + base64.b64encode(b"partner:pw")):
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("POST", "/x12/270", body=_270([_inq(active, "D1")]),
                     headers={"Content-Type": "application/EDI-X12", "Authorization": "Basic " + token.decode()})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read()
        dates.append(resp.getheader("Date"))
        conn.close()
    for d in dates:
        assert d.endswith(" GMT") and parsedate_to_datetime(d).tzinfo is not None
