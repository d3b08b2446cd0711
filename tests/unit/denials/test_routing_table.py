"""The denial routing table: every row routed end to end against PostgreSQL, and the cases a
denial specialist checks first worked out by hand (X12 CARC/RARC definitions, CMS rules)."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from markupsafe import escape

from include.billing import workqueue
from include.billing.acknowledgments import apply_pending_responses
from include.billing.denials import route_denials
from include.billing.posting import post_stored_remittances
from include.billing.routing import ACTIONS, EVIDENCE, load_routes, route
from include.edi.x277ca import ClaimStatus, Status, build_277ca
from include.edi.x835 import Adjustment
from tests.unit.posting.factory import DOS, PAY_DATE, denied_clp, file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:routing"
TODAY = dt.date(2026, 3, 21)
ROWS = list(load_routes().values())


def _post(db, clps, trace="T1"):
    store(db, f"{trace}.835", file_835([remittance(clps, trace=trace)]))
    return post_stored_remittances(db, actor=ACTOR)


def _ack_277ca(db, claim, received: dt.date, icn: int = 700):
    data = build_277ca([ClaimStatus(claim_id=claim["claim_number"], statuses=[Status("A2", "20", "PR")],
                                    total_charge=claim["total"], payer_claim_control_number=f"PCN{claim['id']:08d}",
                                    member_id="M1", patient_last_name="DOE")],
                       sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn,
                       group_control_number=icn, created=dt.datetime.combine(received, dt.time(9)),
                       received=received)
    store(db, f"ack{icn}.277", data)
    apply_pending_responses(db, actor=ACTOR)


def _item(db, claim_id, reason_prefix="CARC_"):
    return db.execute("SELECT id, state, due_date, details FROM billing.work_queue WHERE claim_id = %s "
                      "AND reason_code LIKE %s ORDER BY id", (claim_id, reason_prefix + "%")).fetchone()


def test_the_table_is_well_formed():
    assert {r.action for r in ROWS} == set(ACTIONS)               # every action is used
    for r in ROWS:
        assert r.action != "bill_patient" or r.group == "PR"
        assert r.action != "write_off" or r.write_off_reason in workqueue.WRITE_OFF_REASONS
        assert all(e in EVIDENCE for e in r.evidence)
        assert r.next_step and r.reason and r.source


@pytest.mark.parametrize("row", ROWS, ids=[r.key for r in ROWS])
def test_every_row_routes_its_denial(db, tmp_path, row):
    (claim,) = seed_practice(db, 1)
    if row.condition:
        # proof of timely filing: the payer's 277CA received date inside / outside its 365-day limit
        _ack_277ca(db, claim, DOS + dt.timedelta(days=30 if row.condition == "filed_in_time" else 400))
    _post(db, [denied_clp(claim, row.group, row.carc, row.rarc or None)])
    out = route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    db.commit()
    assert out["routed"] == 1 and out["by_action"] == {row.action: 1}
    item_id, state, due, details = _item(db, claim["id"])
    assert details["route"] == row.key and details["action"] == row.action
    assert details["next_step"] == row.next_step and details["source"] == row.source
    status = db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim["id"],)).fetchone()[0]
    if row.action == "write_off":
        assert (state, status) == ("written_off", "written_off")
        assert db.execute("SELECT detail->>'reason' FROM billing.claim_events WHERE claim_id = %s "
                          "AND to_status = 'written_off'", (claim["id"],)).fetchone()[0] == row.write_off_reason
    elif row.action == "bill_patient":
        assert (state, status) == ("resolved", "denied")
        owed = db.execute("SELECT sum(amount) FROM billing.patient_ledger WHERE claim_id = %s",
                          (claim["id"],)).fetchone()[0]
        assert owed == claim["total"]
    elif row.action == "follow_up":
        assert state == "open" and due == PAY_DATE + dt.timedelta(days=30)
    elif row.action == "appeal":
        assert state == "open"
        html = next(tmp_path.glob("*.html")).read_text()
        for e in row.evidence:
            assert str(escape(EVIDENCE[e])) in html
        if row.condition == "filed_in_time":
            proof = details["filing_proof"]
            assert proof["in_time"] and proof["deadline"] == (DOS + dt.timedelta(days=365)).isoformat()
            assert [a["type"] for a in proof["acknowledgments"]] == ["277CA"]
            assert proof["acknowledgments"][0]["date"] == (DOS + dt.timedelta(days=30)).isoformat()
            assert proof["acknowledgments"][0]["interchange_control_number"] == "000000700"
            attached = list(tmp_path.glob("*proof1-277CA.x12"))
            assert len(attached) == 1 and stat.S_IMODE(attached[0].stat().st_mode) == 0o600
            assert "000000700" in html and "ISA" in attached[0].read_text()
    else:   # correct_and_replace, new_claim: a person fixes and releases; release makes the right claim
        assert state == "open"
        if row.opens_coverage_item:
            cob = _item(db, claim["id"], "COB_")
            assert cob is not None and cob[1] == "open"
            with pytest.raises(workqueue.ActionError, match="other open work item"):
                workqueue.release(db, item_id, actor="user:alice")
            db.rollback()
            workqueue.resolve(db, cob[0], actor="user:alice", note="coverage order confirmed")
        result = workqueue.release(db, item_id, actor="user:alice")
        db.commit()
        freq, pccn, new_status = db.execute(
            "SELECT frequency_code, payer_claim_control_number, status FROM billing.claims WHERE id = %s",
            (result["replacement_claim_id"],)).fetchone()
        if row.action == "correct_and_replace":
            assert (freq, pccn) == ("7", f"PCN{claim['id']:08d}")     # REF*F8 = the payer's claim number
        else:
            assert (freq, pccn) == ("1", None)
        assert new_status == "ready"


def test_cases_a_denial_specialist_checks(db, tmp_path):
    # worked out from the code definitions, not from the table
    assert route("CO", "204").action == "write_off" and route("PR", "204").action == "bill_patient"
    assert route("CO", "16", ["MA130"]).action == "new_claim"          # unprocessable: submit a new claim
    assert route("CO", "16", ["M51"]).action == "correct_and_replace"
    assert route("CO", "22", ["MA04"]).fix == "coverage_order"
    assert route("CO", "109").action == "new_claim" and route("CO", "109").fix == "coverage_order"
    assert route("OA", "18").action == "follow_up"                     # OA takes the CO row, never the patient
    assert route("PI", "204").action == "write_off"
    assert route("CO", "Z99").action == "follow_up" and route("PR", "Z99").action == "bill_patient"
    assert route("CO", "29", condition="filed_in_time").action == "appeal"
    assert route("CO", "29", condition="filed_late").write_off_reason == "timely_filing"
    # an attachment the payer needs (N706: missing documentation) is sent, not corrected or lost
    assert route("CO", "252", ["N706"]).action == "appeal" and route("CO", "252").evidence == ("medical_records",)


def test_timely_filing_without_any_acknowledgment_is_late(db, tmp_path):
    (claim,) = seed_practice(db, 1)
    _post(db, [denied_clp(claim, "CO", "29")])
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    assert _item(db, claim["id"])[3]["route"] == "CO-29/filed_late"


def test_a_bundled_line_is_written_off_alone(db, tmp_path):
    (claim,) = seed_practice(db, 1)
    part = paid_clp(claim)
    ln = part.lines[1]
    part.paid -= ln.paid
    ln.adjustments, ln.paid = [Adjustment("CO", "97", ln.charge)], 0
    _post(db, [part])
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    _, state, _, details = _item(db, claim["id"])
    assert (details["level"], details["route"], state) == ("line", "CO-97", "written_off")
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim["id"],)).fetchone()[0] == \
        "partially_paid"
