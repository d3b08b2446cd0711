"""Inbound files: store-before-archive, 999/277CA/277 application, out-of-order files, 276."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from include.billing.acknowledgments import apply_pending_responses
from include.billing.claim_status_inquiry import prepare_status_inquiries, upload_pending_inquiries
from include.billing.inbox import classify, fetch_outbound
from include.billing.posting import post_stored_remittances
from include.billing.transport import LocalFolder
from include.edi.x270 import EligibilityInquiry, build_270
from include.edi.x276 import parse_276
from include.edi.x277 import build_277
from include.edi.x277ca import ClaimStatus, Status, build_277ca
from include.edi.x999 import Ack999, ElementError, SegmentError, TransactionAck, build_999
from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:responses"
NOW = dt.datetime(2026, 3, 5, 10, 0)


def add_batch(db, claims, gcn=501, stcn=1):
    row = db.execute("""INSERT INTO billing.submission_batches (batch_key, trading_partner, payer_id,
                            interchange_control_number, group_control_number, transaction_control_number,
                            file_name, state, claim_count)
                        VALUES (%s, 'sandbox', NULL, %s, %s, %s, %s, 'uploaded', %s) RETURNING id""",
                     (f"k{gcn}", gcn, gcn, stcn, f"837_{gcn}.x12", len(claims))).fetchone()
    for c in claims:
        db.execute("INSERT INTO billing.batch_claims VALUES (%s, %s)", (row[0], c["id"]))
    db.commit()
    return row[0]


def status_of(db, claim_id):
    return db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim_id,)).fetchone()[0]


def ack999(gcn, stcn, accepted=True):
    ta = TransactionAck("837", f"{stcn:04d}", "A" if accepted else "R", "005010X222A1")
    if not accepted:
        ta.error_codes = ["5"]
        ta.segment_errors = [SegmentError("CLM", 23, "8", "2300",
                                          elements=[ElementError("5:1", "7", "1331", "99")])]
    return build_999([Ack999("HC", str(gcn), transactions=[ta])], sender_id="SANDBOX", receiver_id="ACME01",
                     interchange_control_number=900 + gcn + (0 if accepted else 1), group_control_number=1,
                     created=NOW)


def ca277(claims, rejected=(), icn=700):
    out = []
    for c in claims:
        if c["claim_number"] in rejected:
            out.append(ClaimStatus(claim_id=c["claim_number"], statuses=[Status("A7", "454")],
                                   total_charge=c["total"], member_id="M1", patient_last_name="DOE"))
        else:
            out.append(ClaimStatus(claim_id=c["claim_number"], statuses=[Status("A2", "20", "PR")],
                                   total_charge=c["total"], payer_claim_control_number=f"ICN{c['id']}",
                                   member_id="M1", patient_last_name="DOE"))
    return build_277ca(out, sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn,
                       group_control_number=icn, created=NOW)


def test_classify_by_content(db):
    (c1,) = seed_practice(db, 1)
    assert classify(ack999(1, 1)) == "999"
    assert classify(ca277([c1])) == "277CA"
    assert classify(file_835([remittance([paid_clp(c1)])])) == "835"
    assert classify(build_277([ClaimStatus(claim_id="X", statuses=[Status("P1", "20")])], sender_id="S",
                              receiver_id="R", interchange_control_number=1, group_control_number=1)) == "277"
    assert classify(b"REJECTED file.x12: bad\n") == "unknown"


def test_classify_what_the_registry_has_no_entry_for():
    """TA1 and 997 are read although the registry has no entry for them; a 277 or 835 under a
    guide version that is not ours is still named by its ST01; what we send (837P, 270, 276) is
    not an answer."""
    isa = (b"ISA*00*          *00*          *ZZ*SANDBOX        *ZZ*ACME01         *261201*1200*^*00501*"
           b"000000007*0*P*:~")
    ta1 = isa + b"TA1*000000123*261201*1200*R*022~IEA*0*000000007~"
    assert classify(ta1) == "TA1"
    ack997 = isa + (b"GS*FA*SANDBOX*ACME01*20261201*1200*7*X*004010~ST*997*0001~AK1*HC*501~"
                    b"AK9*A*1*1*1~SE*4*0001~GE*1*7~IEA*1*000000007~")
    assert classify(ack997) == "999"
    old_835 = file_835([remittance([])]).replace(b"005010X221A1", b"004010X091A1")
    assert b"004010X091A1" in old_835 and classify(old_835) == "835"
    old_277 = build_277([ClaimStatus(claim_id="X", statuses=[Status("P1", "20")])], sender_id="S",
                        receiver_id="R", interchange_control_number=1,
                        group_control_number=1).replace(b"005010X212", b"004010X093A1")
    assert classify(old_277) == "277"
    inquiry = build_270([EligibilityInquiry(trace_number="T1", member_id="M1", last_name="DOE", first_name="J",
                                            payer_name="P", payer_id="P1", provider_npi="1234567893",
                                            provider_name="C", service_date=NOW.date())],
                        sender_id="S", receiver_id="R", interchange_control_number=1, group_control_number=1)
    assert classify(inquiry) == "unknown"


def test_999_accepted_and_rejected_sets(db):
    claims = seed_practice(db, 4)
    add_batch(db, claims[:2], gcn=501)
    add_batch(db, claims[2:], gcn=502)
    store(db, "999_a.x12", ack999(501, 1, accepted=True))
    store(db, "999_b.x12", ack999(502, 1, accepted=False))
    out = apply_pending_responses(db, actor=ACTOR)
    assert out["files"] == 2 and out["quarantined"] == 0
    assert [status_of(db, c["id"]) for c in claims] == ["acknowledged", "acknowledged", "rejected", "rejected"]
    items = db.execute("SELECT claim_id, reason_code, explanation, source FROM billing.work_queue ORDER BY claim_id"
                       ).fetchall()
    assert [i[0] for i in items] == [claims[2]["id"], claims[3]["id"]]
    expl = items[0][2]
    assert items[0][1] == "ACK999_REJECTED" and items[0][3] == "999"
    assert "segment CLM (claim information)" in expl and "loop 2300" in expl
    assert "CLM05-1 (health care service location information): Invalid code value" in expl
    assert "'99'" not in expl                   # bad values (possible PHI) are left out
    states = db.execute("SELECT state FROM billing.submission_batches ORDER BY id").fetchall()
    assert [s[0] for s in states] == ["accepted", "rejected"]
    ev = db.execute("SELECT source_file_id IS NOT NULL, dedupe_key FROM billing.claim_events "
                    "WHERE claim_id = %s AND event_type = 'ack_999'", (claims[0]["id"],)).fetchone()
    assert ev[0] and ev[1].startswith("999:")


def test_277ca_accepts_with_payer_number_and_rejects_with_reason(db):
    claims = seed_practice(db, 2)
    store(db, "277ca.x12", ca277(claims, rejected={claims[1]["claim_number"]}))
    apply_pending_responses(db, actor=ACTOR)
    assert status_of(db, claims[0]["id"]) == "accepted"
    assert db.execute("SELECT payer_claim_control_number FROM billing.claims WHERE id = %s",
                      (claims[0]["id"],)).fetchone()[0] == f"ICN{claims[0]['id']}"
    assert status_of(db, claims[1]["id"]) == "rejected"
    reason, expl = db.execute("SELECT reason_code, explanation FROM billing.work_queue").fetchone()
    assert reason == "ACK277CA_REJECTED"
    assert "Rejected for Invalid Information" in expl and "Procedure code for services rendered" in expl


def test_reapplying_a_file_changes_nothing(db):
    claims = seed_practice(db, 2)
    store(db, "277ca.x12", ca277(claims, rejected={claims[1]["claim_number"]}))
    apply_pending_responses(db, actor=ACTOR)
    n_events = db.execute("SELECT count(*) FROM billing.claim_events").fetchone()[0]
    db.execute("UPDATE billing.edi_files SET state = 'stored'")      # as if the run crashed before marking
    db.commit()
    apply_pending_responses(db, actor=ACTOR)
    assert db.execute("SELECT count(*) FROM billing.claim_events").fetchone()[0] == n_events
    assert db.execute("SELECT count(*) FROM billing.work_queue").fetchone()[0] == 1


def test_277ca_after_the_835_does_not_move_a_paid_claim_back(db):
    (c1,) = seed_practice(db, 1)
    store(db, "a.835", file_835([remittance([paid_clp(c1)])]))
    post_stored_remittances(db, actor=ACTOR)
    assert status_of(db, c1["id"]) == "paid"
    store(db, "late-277ca.x12", ca277([c1]))
    store(db, "late-999.x12", ack999(501, 1))
    add_batch(db, [c1], gcn=501)
    apply_pending_responses(db, actor=ACTOR)
    assert status_of(db, c1["id"]) == "paid"
    ignored = db.execute("SELECT event_type FROM billing.claim_events WHERE claim_id = %s AND event_type LIKE "
                         "'%%_ignored' ORDER BY id", (c1["id"],)).fetchall()
    assert sorted(e[0] for e in ignored) == ["ack_277ca_ignored", "ack_999_ignored"]


def test_999_after_a_277ca_rejection_keeps_the_claim_rejected(db):
    claims = seed_practice(db, 2)
    add_batch(db, claims, gcn=501)
    store(db, "277ca.x12", ca277(claims, rejected={claims[1]["claim_number"]}))
    apply_pending_responses(db, actor=ACTOR)          # the 277CA is applied first (another run)
    store(db, "999.x12", ack999(501, 1))
    apply_pending_responses(db, actor=ACTOR)
    assert [status_of(db, c["id"]) for c in claims] == ["accepted", "rejected"]


def test_277_pending_and_not_found(db):
    claims = seed_practice(db, 2, status="accepted")
    data = build_277([ClaimStatus(claim_id=claims[0]["claim_number"], statuses=[Status("P1", "20")],
                                  patient_account_number=claims[0]["claim_number"], total_charge=Decimal("200")),
                      ClaimStatus(claim_id=claims[1]["claim_number"], statuses=[Status("A4", "35")],
                                  patient_account_number=claims[1]["claim_number"], total_charge=Decimal("200"))],
                     sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=5, group_control_number=5,
                     created=NOW)
    store(db, "277_1.x12", data)
    apply_pending_responses(db, actor=ACTOR)
    assert status_of(db, claims[0]["id"]) == "pending"
    assert status_of(db, claims[1]["id"]) == "accepted"
    assert db.execute("SELECT reason_code FROM billing.work_queue").fetchone()[0] == "STATUS_277_A4"


def test_unreadable_file_is_quarantined_and_others_apply(db):
    claims = seed_practice(db, 1)
    bad = store(db, "999_x.rejected.txt", b"REJECTED 837_1.x12: no interchange\n")
    store(db, "277ca.x12", ca277(claims))
    out = apply_pending_responses(db, actor=ACTOR)
    assert out["quarantined"] == 1
    state, err = db.execute("SELECT state, error FROM billing.edi_files WHERE id = %s", (bad,)).fetchone()
    assert state == "quarantined" and "999_x.rejected.txt" in err
    assert status_of(db, claims[0]["id"]) == "accepted"


def test_fetch_stores_before_archiving_and_skips_partial_and_duplicates(db, tmp_path):
    claims = seed_practice(db, 1)
    (tmp_path / "outbound").mkdir()
    (tmp_path / "archive").mkdir()
    (tmp_path / "outbound" / "277CA_1.x12").write_bytes(ca277(claims))
    (tmp_path / "outbound" / "835_1.x12.part").write_bytes(b"half")
    remote = LocalFolder(tmp_path)
    out = fetch_outbound(db, remote)
    assert out.stored == 1 and out.archived == 1
    assert sorted(p.name for p in (tmp_path / "outbound").iterdir()) == ["835_1.x12.part"]
    assert (tmp_path / "archive" / "277CA_1.x12").exists()
    row = db.execute("SELECT transaction_type, state, origin, size_bytes, length(content) FROM billing.edi_files"
                     ).fetchone()
    assert row[0] == "277CA" and row[1] == "stored" and row[2] == "sftp:outbound/277CA_1.x12" and row[3] == row[4]
    # the same bytes again (a crash before the archive move last time): stored once, archived
    (tmp_path / "outbound" / "277CA_1.x12").write_bytes(ca277(claims))
    out = fetch_outbound(db, remote)
    assert out.stored == 0 and out.duplicates == 1
    assert db.execute("SELECT count(*) FROM billing.edi_files").fetchone()[0] == 1


def test_fetch_counts_new_835s_for_remittance_posting(db, tmp_path):
    """`remittances` (what emit_remittances_received forwards) counts new 835s only: a 277CA or an
    835 stored before gives remittance_posting nothing to do, so no event for it."""
    from include.dag_support import changed_counts

    claims = seed_practice(db, 2)
    (tmp_path / "outbound").mkdir()
    (tmp_path / "archive").mkdir()
    (tmp_path / "outbound" / "277CA_1.x12").write_bytes(ca277(claims))
    remote = LocalFolder(tmp_path)
    first = fetch_outbound(db, remote).to_dict()
    assert (first["stored"], first["remittances"]) == (1, 0)
    assert changed_counts(first, ("remittances",)) == {"remittances": 0}
    era = file_835([remittance([paid_clp(claims[0])])])
    (tmp_path / "outbound" / "835_1.x12").write_bytes(era)
    (tmp_path / "outbound" / "277CA_2.x12").write_bytes(ca277(claims[1:]))
    second = fetch_outbound(db, remote).to_dict()
    assert (second["stored"], second["remittances"]) == (2, 1)
    (tmp_path / "outbound" / "835_again.x12").write_bytes(era)          # the same 835 under another name
    third = fetch_outbound(db, remote).to_dict()
    assert (third["stored"], third["duplicates"], third["remittances"]) == (0, 1, 0)


def test_fetch_crash_before_archive_keeps_the_remote_file(db, tmp_path):
    claims = seed_practice(db, 1)
    (tmp_path / "outbound").mkdir()
    (tmp_path / "archive").mkdir()
    (tmp_path / "outbound" / "277CA_1.x12").write_bytes(ca277(claims))

    class Crashing(LocalFolder):
        def rename(self, src, dst):
            raise KeyboardInterrupt("crash between store and archive")

    try:
        fetch_outbound(db, Crashing(tmp_path))
    except KeyboardInterrupt:
        pass
    assert db.execute("SELECT count(*) FROM billing.edi_files").fetchone()[0] == 1     # stored (committed)
    assert (tmp_path / "outbound" / "277CA_1.x12").exists()                            # not lost
    out = fetch_outbound(db, LocalFolder(tmp_path))
    assert out.duplicates == 1 and not (tmp_path / "outbound" / "277CA_1.x12").exists()


def test_status_inquiry_276_for_claims_without_answers(db, tmp_path):
    claims = seed_practice(db, 3)
    db.execute("UPDATE billing.claims SET submitted_at = %s", (dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc),))
    db.execute("UPDATE billing.claims SET status = 'accepted' WHERE id = %s", (claims[2]["id"],))
    db.commit()
    now = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)
    assert prepare_status_inquiries(db, now=now, actor=ACTOR, days=21)["claims"] == 0     # too early
    now = dt.datetime(2026, 3, 25, tzinfo=dt.timezone.utc)
    out = prepare_status_inquiries(db, now=now, actor=ACTOR, days=21)
    assert out["claims"] == 2 and len(out["files"]) == 1
    assert prepare_status_inquiries(db, now=now, actor=ACTOR, days=21)["claims"] == 0     # once per period
    (tmp_path / "inbound").mkdir()
    assert upload_pending_inquiries(db, LocalFolder(tmp_path)) == 1
    files = list((tmp_path / "inbound").iterdir())
    assert len(files) == 1 and files[0].name.startswith("276_") and not files[0].name.endswith(".part")
    inquiries = parse_276(files[0].read_bytes())
    assert sorted(q.claim_id for q in inquiries) == sorted(c["claim_number"] for c in claims[:2])
    assert db.execute("SELECT state FROM billing.edi_files WHERE direction = 'out'").fetchone()[0] == "sent"
    assert upload_pending_inquiries(db, LocalFolder(tmp_path)) == 0


def ca277_codes(claims_codes, icn):
    """A 277CA answering each (claim, [(category, status code, entity)]) with those STCs."""
    return build_277ca([ClaimStatus(claim_id=c["claim_number"], statuses=[Status(*s) for s in sts],
                                    total_charge=c["total"], member_id="M1", patient_last_name="DOE",
                                    payer_claim_control_number=f"ICN{c['id']}" if sts[0][0] == "A2" else None)
                        for c, sts in claims_codes],
                       sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn,
                       group_control_number=icn, created=NOW)


def test_277ca_clearinghouse_receipt_is_not_payer_acceptance(db):
    # 005010X214 / code list 507: A1 = received, "does not mean that the claim has been accepted for
    # adjudication"; A2 = accepted into the adjudication system; A3/A7 = returned / rejected.
    claims = seed_practice(db, 3)
    store(db, "277ca_ch.x12", ca277_codes([(c, [("A1", "19", "PR")]) for c in claims], icn=710))
    apply_pending_responses(db, actor=ACTOR)
    assert [status_of(db, c["id"]) for c in claims] == ["acknowledged"] * 3     # not accepted
    store(db, "277ca_payer.x12", ca277_codes([(claims[0], [("A2", "20", "PR")]),
                                              (claims[1], [("A3", "21", "PR"), ("A7", "164", "IL")]),
                                              (claims[2], [("A0", "16", "PR")])], icn=711))
    apply_pending_responses(db, actor=ACTOR)
    assert [status_of(db, c["id"]) for c in claims] == ["accepted", "rejected", "acknowledged"]
    items = db.execute("SELECT claim_id, reason_code, explanation, details->>'rejected_by' FROM billing.work_queue"
                       ).fetchall()
    assert len(items) == 1
    claim_id, reason, expl, by = items[0]
    assert (claim_id, reason, by) == (claims[1]["id"], "ACK277CA_REJECTED", "payer")
    assert expl.startswith("payer rejected the claim after the clearinghouse accepted it")
    assert "Returned as unprocessable claim" in expl
    # the clearinghouse-level answers are events, and only the A2 is an 'accepted' event
    ev = db.execute("SELECT claim_id, event_type, to_status FROM billing.claim_events ORDER BY id").fetchall()
    assert [e for e in ev if e[2] == "accepted"] == [(claims[0]["id"], "ack_277ca", "accepted")]
    assert sum(1 for e in ev if e[1] == "ack_277ca_clearinghouse") == 4      # 3 A1 + the later A0


def test_payer_rejection_after_clearinghouse_receipt_fails_first_pass(db):
    from include.billing.reports import run_metric
    from include.billing.status import set_status

    claims = seed_practice(db, 2, status="ready")
    for c in claims:
        set_status(db, c["id"], "submitted", actor=ACTOR, event_type="submitted")
    db.commit()
    store(db, "277ca_ch.x12", ca277_codes([(c, [("A1", "19", "PR")]) for c in claims], icn=720))
    apply_pending_responses(db, actor=ACTOR)
    store(db, "277ca_payer.x12", ca277_codes([(claims[0], [("A2", "20", "PR")]),
                                              (claims[1], [("A7", "164", "IL")])], icn=721))
    apply_pending_responses(db, actor=ACTOR)
    today = db.execute("SELECT current_date").fetchone()[0]
    rows = run_metric(db, "first_pass_acceptance", period_start=today, period_end=today, as_of=today)
    overall = next(r for r in rows if r["dimension"] == "overall")
    # 2 first submitted; claim 1 accepted by the payer (A2); claim 2 received (A1) then rejected (A7)
    assert (overall["first_submitted"], overall["accepted_first_pass"], overall["awaiting_response"]) == (2, 1, 0)


def test_a_late_clearinghouse_receipt_does_not_undo_a_payer_rejection(db):
    # the payer's A7 file is read before the clearinghouse's A1 file (files arrive out of order)
    claims = seed_practice(db, 2)
    store(db, "277ca_payer.x12", ca277_codes([(claims[0], [("A7", "164", "IL")]),
                                              (claims[1], [("A2", "20", "PR")])], icn=730))
    apply_pending_responses(db, actor=ACTOR)
    store(db, "277ca_ch.x12", ca277_codes([(c, [("A1", "19", "PR")]) for c in claims], icn=731))
    apply_pending_responses(db, actor=ACTOR)
    assert [status_of(db, c["id"]) for c in claims] == ["rejected", "accepted"]
    late = db.execute("SELECT from_status, to_status FROM billing.claim_events WHERE event_type = "
                      "'ack_277ca_clearinghouse' ORDER BY claim_id").fetchall()
    assert late == [("rejected", "rejected"), ("accepted", "accepted")]
