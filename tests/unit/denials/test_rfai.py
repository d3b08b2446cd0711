"""Requests for additional information, end to end against PostgreSQL: a 277 with STC R3 →
work item (what is asked in words, payer claim number, due date) → records packet → answer
recorded → the payer's 835 pays; an unanswered request is flagged when it expires.

Words come from the X12 code lists (507 R3 = "Requests for additional information/Claim/Line",
508 21 = "Missing or invalid information") and LOINC (11506-3 Progress note, 18748-4 Diagnostic
imaging study); the due date is the request date + 45 days (MLN Matters MM8583)."""

from __future__ import annotations

import datetime as dt
import stat

from include.billing.acknowledgments import apply_pending_responses
from include.billing.posting import post_stored_remittances
from include.billing.rfai import answer_request, flag_expired_requests, open_information_requests
from include.edi.x277 import build_277
from include.edi.x277ca import ClaimStatus, Status
from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:rfai"
ASKED_ON = dt.date(2026, 4, 1)


def _request(db, claim, icn):
    store(db, f"rfai{icn}.277", build_277(
        [ClaimStatus(claim_id=claim["claim_number"], patient_account_number=claim["claim_number"],
                     statuses=[Status("R3", "21"), Status("R3", "11506-3"), Status("R3", "18748-4")],
                     effective_date=ASKED_ON, total_charge=claim["total"], payer_claim_control_number="PAYER123",
                     member_id="M1", patient_last_name="DOE")],
        sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn, group_control_number=icn,
        created=dt.datetime(2026, 4, 1, 9)))
    apply_pending_responses(db, actor=ACTOR)


def test_r3_work_item_packet_answer_paid(db, tmp_path):
    (claim,) = seed_practice(db, 1)
    _request(db, claim, 601)
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim["id"],)).fetchone()[0] == "pending"
    assert open_information_requests(db, actor=ACTOR) == {"opened": 1}
    assert open_information_requests(db, actor=ACTOR) == {"opened": 0}          # once per request
    item_id, reason, due, explanation, details = db.execute(
        "SELECT id, reason_code, due_date, explanation, details FROM billing.work_queue WHERE source = 'rfai'"
    ).fetchone()
    assert (reason, due) == ("RFAI_R3", dt.date(2026, 5, 16))
    assert details["payer_claim_number"] == "PAYER123"
    assert [a["text"] for a in details["asked"]] == [
        "Requests for additional information/Claim/Line: Missing or invalid information"]
    assert [(d["loinc"], d["text"]) for d in details["documents"]] == [
        ("11506-3", "Progress note"), ("18748-4", "Diagnostic imaging study")]
    assert "Progress note (LOINC 11506-3)" in explanation and "2026-05-16" in explanation
    clock = db.execute("SELECT detail FROM billing.claim_events WHERE event_type = 'information_requested'"
                       ).fetchone()[0]
    assert clock["due_date"] == "2026-05-16" and clock["loinc"] == ["11506-3", "18748-4"]

    note = tmp_path / "progress-note.txt"
    note.write_text("progress note of the visit")
    packet = answer_request(db, item_id, [note], actor="user:alice", out_dir=tmp_path / "out", pdf=False,
                            today=dt.date(2026, 4, 10))
    db.commit()
    acn = packet["attachment_control_number"]
    assert acn == f"ACN{claim['id']:010d}R{item_id:08d}"
    cover, copy = (tmp_path / "out" / f"records-claim{claim['id']}-item{item_id}-cover.html",
                   tmp_path / "out" / f"records-claim{claim['id']}-item{item_id}-doc1.txt")
    html = cover.read_text()
    assert "PAYER123" in html and acn in html and "Progress note (LOINC 11506-3)" in html and copy.name in html
    assert copy.read_text() == "progress note of the visit"
    assert {stat.S_IMODE(p.stat().st_mode) for p in (cover, copy)} == {0o600}
    assert db.execute("SELECT state FROM billing.work_queue WHERE id = %s", (item_id,)).fetchone()[0] == "resolved"
    sent = db.execute("SELECT actor, detail FROM billing.claim_events WHERE event_type = 'information_sent'"
                      ).fetchone()
    assert sent[0] == "user:alice" and sent[1]["attachment_control_number"] == acn and not sent[1]["late"]

    # the payer pays after the answer
    store(db, "pay.835", file_835([remittance([paid_clp(claim)])]))
    post_stored_remittances(db, actor=ACTOR)
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim["id"],)).fetchone()[0] == "paid"
    assert flag_expired_requests(db, actor=ACTOR, today=dt.date(2026, 6, 1)) == {"flagged": 0}


def test_an_unanswered_request_is_flagged_when_it_expires(db):
    (claim,) = seed_practice(db, 1)
    _request(db, claim, 602)
    open_information_requests(db, actor=ACTOR)
    assert flag_expired_requests(db, actor=ACTOR, today=dt.date(2026, 5, 16)) == {"flagged": 0}   # due today
    assert flag_expired_requests(db, actor=ACTOR, today=dt.date(2026, 5, 17)) == {"flagged": 1}
    assert flag_expired_requests(db, actor=ACTOR, today=dt.date(2026, 5, 18)) == {"flagged": 0}
    assert db.execute("SELECT details->>'expired', state FROM billing.work_queue WHERE source = 'rfai'"
                      ).fetchone() == ("true", "open")
    assert db.execute("SELECT count(*) FROM billing.claim_events WHERE event_type = 'information_request_expired'"
                      ).fetchone()[0] == 1


def test_a_payer_request_with_its_due_date_and_the_packet_delivered(db, tmp_path):
    """An X213 request (TRN*1 the payer's tracking number, DTP*106 its due date): the payer's date
    wins over our 45 days; the answered packet goes to the clearinghouse once, as
    ATT_<attachment control number>.zip with index.json naming the request."""
    import json
    import zipfile

    from include.billing.rfai import upload_information_packets
    from include.billing.transport import LocalFolder
    from include.edi.x277 import build_277rfai

    (claim,) = seed_practice(db, 1)
    store(db, "rfai.277", build_277rfai(
        [ClaimStatus(claim_id="RFAI00000000007", patient_account_number=claim["claim_number"],
                     statuses=[Status("R3", "34117-2")], effective_date=ASKED_ON,
                     payer_claim_control_number="PAYER77", response_due_date=dt.date(2026, 5, 1))],
        sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=603, group_control_number=603,
        created=dt.datetime(2026, 4, 1, 9)))
    apply_pending_responses(db, actor=ACTOR)
    assert open_information_requests(db, actor=ACTOR) == {"opened": 1}
    item_id, due, details = db.execute("SELECT id, due_date, details FROM billing.work_queue WHERE source = 'rfai'"
                                       ).fetchone()
    assert due == dt.date(2026, 5, 1)
    assert (details["payer_claim_number"], details["payer_tracking_number"]) == ("PAYER77", "RFAI00000000007")
    assert [d["text"] for d in details["documents"]] == ["History and physical note"]
    note = tmp_path / "hp.txt"
    note.write_text("history and physical")
    packet = answer_request(db, item_id, [note], actor="user:alice", out_dir=tmp_path / "out", pdf=False,
                            today=dt.date(2026, 4, 3))
    db.commit()
    mailbox = LocalFolder(tmp_path / "mailbox")
    (tmp_path / "mailbox" / "inbound").mkdir(parents=True)
    assert upload_information_packets(db, mailbox, actor="dag:test") == {"packets_uploaded": 1}
    assert upload_information_packets(db, mailbox, actor="dag:test") == {"packets_uploaded": 0}
    acn = packet["attachment_control_number"]
    with zipfile.ZipFile(tmp_path / "mailbox" / "inbound" / f"ATT_{acn}.zip") as zf:
        index = json.loads(zf.read("index.json"))
        names = sorted(zf.namelist())
    assert index["payer_tracking_number"] == "RFAI00000000007" and index["attachment_control_number"] == acn
    assert index["patient_control_number"] == claim["claim_number"] and index["loinc"] == ["34117-2"]
    assert names == sorted(["index.json", *(p.rsplit("/", 1)[-1] for p in packet["files"])])
    assert db.execute("SELECT detail->>'file' FROM billing.claim_events WHERE event_type = 'information_uploaded'"
                      ).fetchall() == [(f"ATT_{acn}.zip",)]
