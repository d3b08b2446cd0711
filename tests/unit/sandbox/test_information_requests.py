"""The sandbox payer's requests for additional information: a claim it pends gets a 277
(005010X213) with STC R3 and the LOINC codes of the records asked for, its claim number and a
response due date, and no 835 until the records packet arrives; then it adjudicates and pays.

Dates by hand: received 2026-03-02, payer lag 10 days (the scenario's delay) -> due 2026-03-12,
the request is sent that day, due 45 days later = 2026-04-26; the packet arrives 2026-03-20 and
the payer reviews for 7 days -> the 835 comes on 2026-03-27, not before."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import sandbox_world as w

from include.billing.rfai import packet_archive
from include.edi.x277 import parse_277
from include.edi.x835 import parse_835
from include.sandbox import adjudication as adj
from include.sandbox.clearinghouse import Clearinghouse
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario

DAY = dt.timedelta(days=1)


def _world(tmp_path: Path, rfai: dict):
    tmp_path.mkdir(parents=True, exist_ok=True)
    roster_d = w.write_roster(tmp_path / "roster.json")
    rng = random.Random(7)
    members = [m for m in w.active_members(roster_d) if m["payer_id"] == "BCBS01"][:3]
    claims = [w.make_claim(i, m, rng, dos=dt.date(2026, 2, 20), prior_auth=True) for i, m in enumerate(members, 1)]
    scenario = Scenario.from_dict({"seed": 11, "defaults": {"delay_days": 10}, "rfai": rfai})
    ch = Clearinghouse(tmp_path / "mailbox", scenario, Roster.load(tmp_path / "roster.json"))
    (ch.inbound / "claims.837").write_bytes(w.build_file(claims, 701))
    ch.process(w.RECEIVED)
    ch.process(w.RECEIVED + DAY)                       # the payer's A2
    return ch, claims, scenario


def _paid_claims(ch) -> set[str]:
    return {c.claim_id for p in ch.outbound.glob("835_*") for r in parse_835(p.read_bytes()) for c in r.claims}


def test_a_pended_claim_is_asked_for_records_and_paid_after_the_answer(tmp_path):
    ch, claims, scenario = _world(tmp_path, {"claims": ["V0000002P1"],
                                             "loinc": ["11506-3", "18748-4"]})
    asked_for = "V0000002P1"
    r = ch.process(dt.datetime(2026, 3, 12, 9))
    assert r.information_requests == 1
    assert _paid_claims(ch) == {"V0000001P1", "V0000003P1"}           # the pended claim is not adjudicated
    (req,) = sorted(ch.outbound.glob("277RFAI_*"))
    assert b"GS*HN*" in req.read_bytes() and b"*005010X213~" in req.read_bytes()
    assert b"STC*R3:11506-3::LOI*20260312~STC*R3:18748-4::LOI*20260312~" in req.read_bytes()
    (a,) = parse_277(req.read_bytes())
    assert a.patient_account_number == asked_for
    assert a.payer_claim_control_number == adj.payer_claim_control_number(11, asked_for)
    assert a.response_due_date == dt.date(2026, 4, 26)
    assert [(s.category, s.code) for s in a.statuses] == [("R3", "11506-3"), ("R3", "18748-4")]

    ch.process(dt.datetime(2026, 3, 19, 9))                          # no answer yet: still pended
    assert asked_for not in _paid_claims(ch)

    note = tmp_path / "note.txt"
    note.write_text("progress note")
    (ch.inbound / "ATT_ACN1.zip").write_bytes(packet_archive(
        {"attachment_control_number": "ACN1", "payer_tracking_number": a.claim_id,
         "patient_control_number": asked_for, "loinc": ["11506-3", "18748-4"]}, [note]))
    r = ch.process(dt.datetime(2026, 3, 20, 9))
    assert r.attachments == 1 and r.files_failed == 0
    assert asked_for not in _paid_claims(ch)
    ch.process(dt.datetime(2026, 3, 26, 9))
    assert asked_for not in _paid_claims(ch)                          # the payer reviews for 7 days
    r = ch.process(dt.datetime(2026, 3, 27, 9))
    assert r.claims_adjudicated == 1 and asked_for in _paid_claims(ch)


def test_a_packet_for_no_open_request_is_refused_with_its_reason(tmp_path):
    ch, _, _ = _world(tmp_path, {})
    (ch.inbound / "ATT_ACN9.zip").write_bytes(packet_archive({"payer_tracking_number": "RFAI00000000042"},
                                                             [Path(__file__)]))
    r = ch.process(dt.datetime(2026, 3, 12, 9))
    assert r.files_failed == 1 and r.information_requests == 0
    assert "no open request for additional information" in (ch.outbound / "ATT_ACN9.zip.rejected.txt").read_text()


def test_the_rate_is_drawn_per_claim_and_repeats(tmp_path):
    runs = []
    for n in (1, 2):
        ch, claims, _ = _world(tmp_path / str(n), {"rate": 0.5})
        ch.process(dt.datetime(2026, 3, 12, 9))
        runs.append({a.patient_account_number for p in ch.outbound.glob("277RFAI_*")
                     for a in parse_277(p.read_bytes())})
        assert runs[-1] | _paid_claims(ch) == {c.claim_id for c in claims}
    assert runs[0] == runs[1] and 0 < len(runs[0]) < 3, runs
