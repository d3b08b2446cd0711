"""Pick-up, claim building, data quality, planning and sending against a real PostgreSQL
(small seeded practice, the clearinghouse mailbox as a local folder)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest

from include.billing import claims as ledger
from include.billing import data_quality, scrub, submission
from include.billing.transport import LocalFolder

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def seeded(db):
    from include.practice.seed import seed_practice

    seed_practice(db, visits=60, seed=11, dirty_share=0.0)
    db.commit()
    return db


def _count(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


def test_pick_up_is_idempotent_and_respects_the_high_water_mark(seeded):
    db = seeded
    completed = _count(db, "SELECT count(*) FROM pm.visits WHERE status = 'completed'")
    # pretend two visits were completed after the run started: the next run takes them
    late = [r[0] for r in db.execute("SELECT id FROM pm.visits WHERE status = 'completed' ORDER BY id LIMIT 2")]
    db.execute("UPDATE pm.visits SET completed_at = %s WHERE id = ANY(%s)", (NOW + dt.timedelta(minutes=5), late))
    first = ledger.pick_up_visits(db, high_water=NOW, actor="test")
    assert first["claims_created"] + first["visits_skipped"] == completed - 2
    assert ledger.pick_up_visits(db, high_water=NOW, actor="test") == {"claims_created": 0, "visits_skipped": 0}
    assert _count(db, "SELECT count(*) FROM billing.claims WHERE visit_id = ANY(%s)", late) == 0
    later = ledger.pick_up_visits(db, high_water=NOW + dt.timedelta(minutes=10), actor="test")
    assert later["claims_created"] + later["visits_skipped"] == 2
    # skipped visits have no primary non-self-pay coverage on the date of service
    assert _count(db, """SELECT count(*) FROM billing.skipped_visits s JOIN pm.visits v ON v.id = s.visit_id
                         WHERE EXISTS (SELECT 1 FROM pm.insurance_policies ip JOIN pm.payers py ON py.id = ip.payer_id
                                       WHERE ip.patient_id = v.patient_id AND ip.priority = 'primary'
                                         AND NOT py.is_self_pay AND ip.effective_date <= v.date_of_service
                                         AND (ip.termination_date IS NULL
                                              OR ip.termination_date >= v.date_of_service))""") == 0


def test_pick_up_filters(seeded):
    db = seeded
    vid, dos = db.execute("""SELECT v.id, v.date_of_service FROM pm.visits v WHERE status = 'completed'
                             AND NOT EXISTS (SELECT 1 FROM billing.skipped_visits) ORDER BY id LIMIT 1""").fetchone()
    r = ledger.pick_up_visits(db, high_water=NOW, actor="t", visit_ids=[vid])
    assert r["claims_created"] + r["visits_skipped"] == 1
    r = ledger.pick_up_visits(db, high_water=NOW, actor="t", date_from=dos, date_to=dos)
    assert _count(db, "SELECT count(*) FROM billing.claims c WHERE c.date_of_service <> %s AND c.visit_id <> %s",
                  dos, vid) == 0


def test_build_claims_lines_totals_and_one_created_event(seeded):
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    again = ledger.build_claims(db, actor="t")
    assert again == {"claims_built": 0, "lines_created": 0}
    assert _count(db, """SELECT count(*) FROM billing.claims c
                         WHERE c.total_charge <> (SELECT sum(charge) FROM billing.claim_lines l WHERE l.claim_id = c.id)""") == 0
    assert _count(db, "SELECT count(*) FROM billing.claims") == _count(
        db, "SELECT count(*) FROM billing.claim_events WHERE event_type = 'created'")
    assert _count(db, """SELECT count(*) FROM billing.claim_lines l JOIN billing.claims c ON c.id = l.claim_id
                         WHERE l.line_control_number <> c.claim_number || 'L' || l.line_number""") == 0


def test_move_claims_is_forward_only_and_replay_safe(seeded):
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ids = [r[0] for r in db.execute("SELECT id FROM billing.claims ORDER BY id LIMIT 3")]
    with pytest.raises(ValueError):
        ledger.move_claims(db, ids, from_status="ready", to_status="new", actor="t", event_type="x", dedupe_prefix="x")
    assert ledger.move_claims(db, ids, from_status="new", to_status="held", actor="t", event_type="held",
                              dedupe_prefix="h") == ids
    assert ledger.move_claims(db, ids, from_status="new", to_status="held", actor="t", event_type="held",
                              dedupe_prefix="h") == []
    assert _count(db, "SELECT count(*) FROM billing.claim_events WHERE event_type = 'held'") == 3


def _to_ready(db):
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    scrub.scrub_pending_claims(db, actor="t", today=dt.date.today())
    db.commit()


def test_duplicate_lines_point_to_the_first_billed_or_lower_pending_claim(seeded):
    """scrub_findings.sql's SCRUB_DUPLICATE: same patient, service date, code and rendering provider on
    another visit; billed claims count whatever their id, pending ones only with a lower id."""
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    a, b, c, d, e = [r for r in db.execute(
        "SELECT id, visit_id, claim_number FROM billing.claims ORDER BY id LIMIT 5")]
    patient, provider = db.execute("SELECT patient_id, rendering_provider_id FROM pm.visits WHERE id = %s",
                                   (a[1],)).fetchone()
    day, code = db.execute("SELECT service_date, procedure_code FROM billing.claim_lines WHERE claim_id = %s "
                           "AND line_number = 1", (a[0],)).fetchone()
    for claim in (b, c, d, e):
        db.execute("UPDATE pm.visits SET patient_id = %s, rendering_provider_id = %s WHERE id = %s",
                   (patient, provider, claim[1]))
        db.execute("UPDATE billing.claim_lines SET service_date = %s, procedure_code = %s "
                   "WHERE claim_id = %s AND line_number = 1", (day, code, claim[0]))

    def first_line_duplicates():
        """Per claim, the claim number its line 1 repeats (None: no duplicate), or "not pending"."""
        found = {}
        for cid, s in scrub.scrub_claims_sql(db, None, dt.date.today()).items():
            dup = [re.search(r"line 1 repeats a line of claim (\S+) \(", f.message) for f in s.findings
                   if f.code == "SCRUB_DUPLICATE"]
            found[cid] = dup[0].group(1) if dup and dup[0] else None
        return [found.get(claim[0], "not pending") for claim in (a, b, c, d, e)]

    # all pending: the lowest claim id goes on, the others point to it
    assert first_line_duplicates() == [None, a[2], a[2], a[2], a[2]]
    # a billed claim (here the highest id) is a duplicate target for every pending one
    db.execute("UPDATE billing.claims SET status = 'submitted' WHERE id = %s", (e[0],))
    assert first_line_duplicates() == [e[2], a[2], a[2], a[2], "not pending"]
    # replaced and held claims are not; another rendering provider, or the same visit, is no duplicate
    db.execute("UPDATE billing.claims SET status = 'replaced' WHERE id = %s", (e[0],))
    db.execute("UPDATE billing.claims SET status = 'held' WHERE id = %s", (a[0],))
    db.execute("UPDATE pm.visits SET rendering_provider_id = NULL WHERE id = %s", (c[1],))
    db.execute("UPDATE billing.claims SET visit_id = %s, version = version + 1 WHERE id = %s", (b[1], d[0]))
    assert first_line_duplicates() == ["not pending", None, None, None, "not pending"]
    db.execute("UPDATE pm.visits SET rendering_provider_id = NULL WHERE id = %s", (b[1],))
    assert first_line_duplicates() == ["not pending", None, b[2], c[2], "not pending"]


def test_data_quality_holds_blank_member_ids_and_writes_results_without_values(seeded, tmp_path):
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    policy, member = db.execute("""SELECT ip.id, ip.member_id FROM billing.claims c
                                   JOIN pm.insurance_policies ip ON ip.id = c.policy_id LIMIT 1""").fetchone()
    db.execute("UPDATE pm.insurance_policies SET member_id = '  ' WHERE id = %s", (policy,))
    result = data_quality.check_new_claims(db, actor="t", run_id="manual__2026-11-27T10:00:00+00:00",
                                           results_dir=tmp_path)
    held = {r[0] for r in db.execute("SELECT id FROM billing.claims WHERE policy_id = %s", (policy,))}
    assert result["by_reason"] == {"DQ_MEMBER_ID": len(held)}
    assert {r[0] for r in db.execute("SELECT claim_id FROM billing.work_queue WHERE reason_code = 'DQ_MEMBER_ID'")} == held
    explanation = db.execute("SELECT explanation FROM billing.work_queue LIMIT 1").fetchone()[0]
    assert "member_id" in explanation
    text = (tmp_path / "manual__2026-11-27T10_00_00_00_00.json").read_text()
    doc = json.loads(text)
    assert doc["claims_failed"] == len(held)
    assert member not in text
    # re-running holds nothing twice
    again = data_quality.check_new_claims(db, actor="t", run_id="r2", results_dir=tmp_path)
    assert again["claims_failed"] == 0


def test_plan_chunks_resumes_and_never_plans_a_claim_twice(seeded):
    db = seeded
    _to_ready(db)
    ready = _count(db, "SELECT count(*) FROM billing.claims WHERE status = 'ready'")
    first = submission.plan_batches(db, max_claims_per_file=7)
    assert _count(db, "SELECT max(claim_count) FROM billing.submission_batches") <= 7
    assert _count(db, "SELECT count(*) FROM billing.batch_claims") == ready
    assert submission.plan_batches(db, max_claims_per_file=7) == first       # resumed, nothing new
    icns = [r[0] for r in db.execute("SELECT interchange_control_number FROM billing.submission_batches")]
    assert len(icns) == len(set(icns))


def test_send_is_deterministic_and_exactly_once(seeded, tmp_path):
    db = seeded
    _to_ready(db)
    for d in ("inbound", "archive"):
        (tmp_path / d).mkdir()
    [batch_id, *_] = submission.plan_batches(db, max_claims_per_file=5000)
    batch = submission._batch(db, batch_id)
    settings = submission.load_settings()
    assert submission.build_batch_file(db, batch, settings) == submission.build_batch_file(db, batch, settings)
    r = submission.send_batch(db, batch_id, remote=LocalFolder(tmp_path), actor="t")
    assert r["state"] == "uploaded" and r["upload"] == "uploaded" and r["claims_submitted"] == r["claims"]
    again = submission.send_batch(db, batch_id, remote=LocalFolder(tmp_path), actor="t")
    assert again["state"] == "uploaded" and again["upload"] is None
    sha, content = db.execute("SELECT sha256, content FROM billing.edi_files WHERE id = %s",
                              (batch["edi_file_id"] or _count(db, "SELECT edi_file_id FROM billing.submission_batches "
                                                                  "WHERE id = %s", batch_id),)).fetchone()
    assert (tmp_path / "inbound" / batch["file_name"]).read_bytes() == bytes(content)


def test_invalid_file_is_not_sent_and_its_claims_go_to_the_work_queue(seeded, tmp_path):
    db = seeded
    _to_ready(db)
    (tmp_path / "inbound").mkdir()
    [batch_id, *_] = submission.plan_batches(db, max_claims_per_file=5000)
    policy = db.execute("""SELECT c.policy_id FROM billing.batch_claims bc JOIN billing.claims c ON c.id = bc.claim_id
                           WHERE bc.batch_id = %s LIMIT 1""", (batch_id,)).fetchone()[0]
    long_name = "X" * 70                                   # NM103 allows 60
    db.execute("UPDATE pm.insurance_policies SET subscriber_last_name = %s WHERE id = %s", (long_name, policy))
    db.commit()
    r = submission.send_batch(db, batch_id, remote=LocalFolder(tmp_path), actor="t")
    assert r["state"] == "failed" and r["validation_errors"] >= 1
    assert list((tmp_path / "inbound").iterdir()) == []
    n = _count(db, "SELECT claim_count FROM billing.submission_batches WHERE id = %s", batch_id)
    assert _count(db, "SELECT count(*) FROM billing.work_queue WHERE reason_code = 'SUBMIT_837_INVALID'") == n
    error = db.execute("SELECT e.error FROM billing.edi_files e JOIN billing.submission_batches b "
                       "ON b.edi_file_id = e.id WHERE b.id = %s", (batch_id,)).fetchone()[0]
    assert error and long_name not in error
    # the claims stay ready but are not planned again while their work item is open
    assert batch_id not in submission.plan_batches(db, max_claims_per_file=5000)
    assert _count(db, "SELECT count(*) FROM billing.batch_claims bc JOIN billing.submission_batches b "
                      "ON b.id = bc.batch_id WHERE b.state <> 'failed' AND bc.claim_id IN "
                      "(SELECT claim_id FROM billing.batch_claims WHERE batch_id = %s)", batch_id) == 0


def test_run_pipeline_without_airflow(db_url, tmp_path, monkeypatch):
    import psycopg

    from include.billing.eligibility import RealtimeTransport

    monkeypatch.setenv("BILLING_DQ_RESULTS_DIR", str(tmp_path / "dq"))
    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice
    from include.sandbox.eligibility import serve_eligibility_http
    from include.sandbox.roster import Roster

    with psycopg.connect(db_url) as db:
        seed_practice(db, visits=60, seed=12, dirty_share=0.1)
        db.commit()
        export_roster(db, tmp_path / "roster.json")
        srv = serve_eligibility_http(Roster.load(tmp_path / "roster.json"))
        for d in ("inbound", "archive"):
            (tmp_path / d).mkdir()
        try:
            out = submission.run_pipeline(db, remote=LocalFolder(tmp_path), eligibility_transport=RealtimeTransport(srv.url))
        finally:
            srv.shutdown()
        sent = sum(b["claims_submitted"] for b in out["send_batch"])
        assert sent == _count(db, "SELECT count(*) FROM billing.claims WHERE status = 'submitted'") > 0
        assert len(list((tmp_path / "inbound").glob("837P_*.x12"))) == len(out["send_batch"])
        json.dumps(out)          # counts only: JSON-serialisable


def test_eligibility_endpoint_down_raises_and_judges_no_claim(seeded):
    from include.billing import eligibility
    from include.billing.transport import TransportError

    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    db.commit()
    dead = eligibility.RealtimeTransport("http://127.0.0.1:9/x12/270", timeout=2)
    with pytest.raises(TransportError):
        eligibility.check_new_claims(db, transport=dead, actor="t", today=dt.date.today())
    db.rollback()
    assert _count(db, "SELECT count(*) FROM billing.work_queue") == 0
    assert _count(db, "SELECT count(*) FROM billing.eligibility_checks") == 0
    assert _count(db, "SELECT count(*) FROM billing.claims WHERE status <> 'new'") == 0
    # the inquiries were stored before they were sent, and marked as never sent
    assert _count(db, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '270' AND state = 'stored'") > 0


def test_ledger_stores_files_in_bulk_like_store_file_one_by_one(db):
    from include.billing.ledger import store_file
    from include.billing.ledger import store_files as _store_files

    def f(name, content, partner="sandbox"):
        return {"direction": "out", "transaction_type": "270", "file_name": name, "content": content,
                "origin": "realtime", "partner": partner, "state": "stored"}

    old = store_file(db, **f("270_RT_000000001.x12", b"ISA*1~")).id
    files = [f("270_RT_000000002.x12", b"ISA*2~"),
             f("270_RT_000000003.x12", b"ISA*2~"),          # same bytes as the one before: that row
             f("270_RT_000000001.x12", b"ISA*9~"),          # same partner and name as a stored file: that row
             f("270_RT_000000004.x12", b"ISA*1~"),          # same bytes as a stored file: that row
             f("270_RT_000000002.x12", b"ISA*4~", "other"),  # same name, another partner: a row of its own
             f("270_RT_000000005.x12", b"ISA*5~")]
    ids = _store_files(db, files)
    assert ids[1] == ids[0] and ids[2] == old and ids[3] == old
    assert len({ids[0], ids[4], ids[5], old}) == 4 and ids[0] < ids[4] < ids[5]
    assert _count(db, "SELECT count(*) FROM billing.edi_files") == 4
    one_by_one = [store_file(db, **fl).id for fl in files]
    assert one_by_one == ids
    assert _store_files(db, files) == ids                    # storing again changes nothing
    assert _store_files(db, []) == []


def test_eligibility_endpoint_failing_midway_keeps_the_requests_and_no_answer(seeded, tmp_path, monkeypatch):
    """Answers already received when the endpoint goes down are not kept: the retry asks again."""
    from include.billing import eligibility
    from include.billing.transport import TransportError
    from include.practice.roster import export_roster
    from include.sandbox.eligibility import serve_eligibility_http
    from include.sandbox.roster import Roster

    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    db.commit()
    export_roster(db, tmp_path / "roster.json")
    srv = serve_eligibility_http(Roster.load(tmp_path / "roster.json"))
    monkeypatch.setattr(eligibility, "REALTIME_CHUNK", 4)      # several chunks answered before the failure
    try:
        transport = eligibility.RealtimeTransport(srv.url, workers=2)
        calls = []
        real_exchange = transport.exchange

        def exchange(data):
            calls.append(1)
            if len(calls) > 20:
                raise TransportError("eligibility endpoint unreachable: test")
            return real_exchange(data)

        transport.exchange = exchange
        with pytest.raises(TransportError):
            eligibility.check_new_claims(db, transport=transport, actor="t", today=dt.date.today())
        inquiries = _count(db, "SELECT count(DISTINCT policy_id) FROM billing.claims WHERE status = 'new'")
        assert inquiries > 20
        assert _count(db, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '270' "
                          "AND state = 'stored'") == inquiries
        assert _count(db, "SELECT count(*) FROM billing.edi_files WHERE transaction_type <> '270'") == 0
        assert _count(db, "SELECT count(*) FROM billing.eligibility_checks") == 0
        assert _count(db, "SELECT count(*) FROM billing.work_queue") == 0
        # the retry asks again and records every answer
        result = eligibility.check_new_claims(db, transport=eligibility.RealtimeTransport(srv.url), actor="t",
                                              today=dt.date.today())
        db.commit()
    finally:
        srv.shutdown()
    assert result["inquiries_sent"] == inquiries
    assert _count(db, "SELECT count(*) FROM billing.eligibility_checks WHERE response_file_id IS NOT NULL") == inquiries
    assert _count(db, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '271'") == inquiries
    assert _count(db, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '270' "
                      "AND state = 'sent'") == inquiries


def test_ledger_store_file_is_content_addressed_and_says_whether_it_is_new(db):
    from include.billing.ledger import store_file

    kw = {"direction": "in", "transaction_type": "999", "origin": "sftp:outbound/a", "partner": "sandbox"}
    first = store_file(db, file_name="a.x12", content=b"ISA*A~", **kw)
    again = store_file(db, file_name="b.x12", content=b"ISA*A~", **kw)         # same bytes, another name
    renamed = store_file(db, file_name="a.x12", content=b"ISA*B~", **kw)       # same partner and name
    out = store_file(db, file_name="a.x12", content=b"ISA*A~", **{**kw, "direction": "out"})
    assert first.is_new and not again.is_new and not renamed.is_new and out.is_new
    assert again.id == first.id == renamed.id and out.id != first.id
    row = db.execute("SELECT sha256, size_bytes, origin FROM billing.edi_files WHERE id = %s", (first.id,)).fetchone()
    assert row == (hashlib.sha256(b"ISA*A~").hexdigest(), 6, "sftp:outbound/a")


def test_send_batches_in_parallel_sends_each_valid_file_once_and_holds_the_invalid_one(seeded, tmp_path):
    db = seeded
    _to_ready(db)
    for d in ("inbound", "archive"):
        (tmp_path / d).mkdir()
    batch_ids = submission.plan_batches(db, max_claims_per_file=5)
    assert len(batch_ids) >= 4
    bad = batch_ids[1]
    policy = db.execute("""SELECT c.policy_id FROM billing.batch_claims bc JOIN billing.claims c ON c.id = bc.claim_id
                           WHERE bc.batch_id = %s LIMIT 1""", (bad,)).fetchone()[0]
    db.execute("UPDATE pm.insurance_policies SET subscriber_last_name = %s WHERE id = %s", ("X" * 70, policy))
    db.commit()
    # the same bytes send_batch would build, before anything is sent
    expected = {b: submission.build_batch_file(db, submission._batch(db, b), submission.load_settings())
                for b in batch_ids}
    db.commit()
    results = submission.send_batches(db, batch_ids, remote=LocalFolder(tmp_path), actor="t", workers=2)
    assert [r["batch_id"] for r in results] == batch_ids
    by_id = {r["batch_id"]: r for r in results}
    # every batch holding a claim on that policy fails; the rest go out
    failing = {r[0] for r in db.execute("""SELECT bc.batch_id FROM billing.batch_claims bc
                                            JOIN billing.claims c ON c.id = bc.claim_id WHERE c.policy_id = %s""",
                                         (policy,))}
    assert bad in failing and len(failing) < len(batch_ids)
    assert all(by_id[b]["state"] == "failed" and by_id[b]["validation_errors"] >= 1 for b in failing)
    sent = [b for b in batch_ids if b not in failing]
    assert all(by_id[b]["state"] == "uploaded" and by_id[b]["claims_submitted"] == by_id[b]["claims"] for b in sent)
    inbound = {p.name: p.read_bytes() for p in (tmp_path / "inbound").iterdir()}
    assert inbound == {by_id[b]["file_name"]: expected[b] for b in sent}
    assert _count(db, "SELECT count(*) FROM billing.claims WHERE status = 'submitted'") == \
        sum(by_id[b]["claims"] for b in sent)
    _assert_slices_are_what_a_scan_reads(db, batch_ids)
    # a second run sends nothing again
    again = submission.send_batches(db, batch_ids, remote=LocalFolder(tmp_path), actor="t", workers=2)
    assert [r["state"] for r in again] == [by_id[b]["state"] for b in batch_ids]
    assert all(r["upload"] is None for r in again)


def _assert_slices_are_what_a_scan_reads(db, batch_ids):
    """Every stored 837P (sent or held) has one slice row per claim of its batch, exactly the ranges the
    edi registry reads back from the stored bytes (the builder's places are stored, the file is not re-read)."""
    from include.billing.edi_slices import scan

    files = db.execute("""SELECT b.id, f.id, f.content FROM billing.submission_batches b
                           JOIN billing.edi_files f ON f.id = b.edi_file_id WHERE b.id = ANY(%s)""",
                       (batch_ids,)).fetchall()
    assert len(files) == len(batch_ids)
    for batch_id, file_id, content in files:
        stored = {(number, header, tuple(zip(offsets, lengths))) for number, header, offsets, lengths in db.execute(
            """SELECT c.claim_number, s.header_offset, s.offsets, s.lengths FROM billing.edi_claim_slices s
                 JOIN billing.claims c ON c.id = s.claim_id WHERE s.edi_file_id = %s""", (file_id,))}
        scanned = {(str(p.key), p.header_offset, p.ranges) for p in scan(bytes(content), "837P")}
        assert stored == scanned
        assert len(stored) == _count(db, "SELECT count(*) FROM billing.batch_claims WHERE batch_id = %s", batch_id)


@pytest.mark.parametrize("n, most", [(0, 5), (1, 5), (5, 5), (6, 5), (11, 5), (10_001, 1000), (999, 1000)])
def test_a_payer_s_claims_go_in_as_few_files_as_the_limit_allows_of_even_size(n, most):
    chunks = submission._even_chunks(list(range(n)), most)
    assert [c for chunk in chunks for c in chunk] == list(range(n))        # every claim once, in order
    assert len(chunks) == -(-n // most)                                    # no more files than needed
    sizes = [len(c) for c in chunks]
    assert all(s <= most for s in sizes) and (not sizes or max(sizes) - min(sizes) <= 1)


def test_a_build_leaves_the_garbage_collector_as_it_found_it():
    """The build freezes the process's older objects (out of the collector's passes) and unfreezes them after,
    also when it fails; a freeze the caller made (e.g. before forking) is left to the caller."""
    import gc

    assert gc.get_freeze_count() == 0
    with submission._older_objects_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(LookupError), submission._older_objects_frozen():
        raise LookupError("a build failing midway")
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with submission._older_objects_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
