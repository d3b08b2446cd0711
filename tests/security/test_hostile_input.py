"""Hostile input is bounded: an oversized clearinghouse file is never read and is set aside with
a work item while the rest is picked up; a delimiter character in one patient's name holds that
patient's claims only, with a work item naming the field, instead of failing a whole 837P file."""

from __future__ import annotations

import datetime as dt

import pytest

from include.billing import claims as ledger
from include.billing import data_quality, submission
from include.billing.inbox import fetch_outbound
from include.billing.transport import FileTooLargeError, LocalFolder

NOW = dt.datetime.now(dt.timezone.utc)
ACK = (b"ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SUBMITTER      *260105*1200*^*00501*000000001*0*T*:~"
       b"GS*FA*CH*SUB*20260105*1200*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1*005010X222A1~"
       b"AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000001~")


def test_local_and_sftp_reads_stop_at_the_cap(tmp_path):
    (tmp_path / "big.x12").write_bytes(b"x" * 1001)
    (tmp_path / "ok.x12").write_bytes(b"x" * 1000)
    folder = LocalFolder(tmp_path, max_read_bytes=1000)
    assert folder.read("ok.x12") == b"x" * 1000
    with pytest.raises(FileTooLargeError, match="1,001 bytes, more than the 1,000-byte limit"):
        folder.read("big.x12")
    assert LocalFolder(tmp_path).max_read_bytes == 500 * 1024 * 1024


def test_sftp_read_over_the_cap_is_refused(tmp_path):
    import paramiko

    from include.billing.transport import SftpFiles
    from include.sandbox.sftp_server import serve_sftp

    server = serve_sftp(tmp_path / "mailbox", user="p", password="s3cret", keys_dir=tmp_path / "keys")
    (server.root / "outbound" / "big.x12").write_bytes(b"y" * 5000)
    try:
        transport = paramiko.Transport(("127.0.0.1", server.port))
        transport.connect(username="p", password="s3cret")
        try:
            remote = SftpFiles(paramiko.SFTPClient.from_transport(transport), max_read_bytes=4096)
            with pytest.raises(FileTooLargeError):
                remote.read("outbound/big.x12")
            assert SftpFiles(remote.client, max_read_bytes=5000).read("outbound/big.x12") == b"y" * 5000
        finally:
            transport.close()
    finally:
        server.stop()


def test_an_oversized_file_is_quarantined_with_a_work_item_and_the_rest_is_picked_up(db, tmp_path):
    for d in ("outbound", "archive"):
        (tmp_path / d).mkdir()
    (tmp_path / "outbound" / "a_999.x12").write_bytes(ACK)
    (tmp_path / "outbound" / "b_huge.x12").write_bytes(ACK + b" " * 4096)
    result = fetch_outbound(db, LocalFolder(tmp_path, max_read_bytes=2048))
    assert (result.stored, result.quarantined) == (1, 1)
    assert any("b_huge.x12" in e and "limit" in e for e in result.errors)
    assert sorted(p.name for p in (tmp_path / "outbound").iterdir()) == []
    assert (tmp_path / "archive" / "b_huge.x12.quarantined").exists()
    item = db.execute("SELECT source, reason_code, explanation, details FROM billing.work_queue").fetchall()
    assert len(item) == 1 and item[0][:2] == ("inbox", "FILE_TOO_LARGE")
    assert "b_huge.x12" in item[0][2] and item[0][3]["quarantined_to"] == "archive/b_huge.x12.quarantined"
    # the next run finds nothing to do and opens no second item
    again = fetch_outbound(db, LocalFolder(tmp_path, max_read_bytes=2048))
    assert (again.stored, again.quarantined) == (0, 0)
    assert db.execute("SELECT count(*) FROM billing.work_queue").fetchone()[0] == 1


@pytest.fixture
def seeded(db):
    from include.practice.seed import seed_practice

    seed_practice(db, visits=40, seed=11, dirty_share=0.0)
    db.commit()
    return db


@pytest.mark.parametrize("bad", ["O*BRIEN", "SMITH~JONES", "LEE:KIM", "ANN^MARIE", "NEW\nLINE"])
def test_a_delimiter_in_one_name_holds_only_that_patients_claims(seeded, tmp_path, bad):
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    patient = db.execute("""SELECT v.patient_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
                            LIMIT 1""").fetchone()[0]
    db.execute("UPDATE pm.patients SET last_name = %s WHERE id = %s", (bad, patient))
    total = db.execute("SELECT count(*) FROM billing.claims WHERE status = 'new'").fetchone()[0]
    result = data_quality.check_new_claims(db, actor="t", run_id="r1", results_dir=tmp_path)
    theirs = {r[0] for r in db.execute("""SELECT c.id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
                                          WHERE v.patient_id = %s""", (patient,))}
    assert result["by_reason"] == {"DQ_PATIENT_NAME_DELIMITER": len(theirs)}
    items = db.execute("""SELECT claim_id, explanation, details FROM billing.work_queue
                          WHERE reason_code = 'DQ_PATIENT_NAME_DELIMITER'""").fetchall()
    assert {i[0] for i in items} == theirs
    assert all("patient last name" in i[1] and i[2]["field"] == "patient_last_name" for i in items)
    assert all(bad not in i[1] for i in items)                  # the value itself (PHI) is not repeated
    held = db.execute("SELECT count(*) FROM billing.claims WHERE status = 'held'").fetchone()[0]
    assert held == len(theirs) < total


def test_names_with_ordinary_punctuation_pass(seeded, tmp_path):
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    db.execute("UPDATE pm.patients SET last_name = 'O''BRIEN-SMITH JR.', first_name = 'ANNE-MARIE'")
    result = data_quality.check_new_claims(db, actor="t", run_id="r1", results_dir=tmp_path)
    assert result["claims_failed"] == 0, result


def test_the_claims_left_make_a_valid_file(seeded, tmp_path):
    """With the bad name held back, the batch of everyone else goes out whole (pyx12-valid)."""
    db = seeded
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    patient = db.execute("""SELECT v.patient_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
                            LIMIT 1""").fetchone()[0]
    db.execute("UPDATE pm.patients SET last_name = 'O*BRIEN' WHERE id = %s", (patient,))
    data_quality.check_new_claims(db, actor="t", run_id="r1", results_dir=tmp_path)
    from include.billing import scrub

    scrub.scrub_pending_claims(db, actor="t", today=NOW.date())
    (tmp_path / "inbound").mkdir()
    (tmp_path / "archive").mkdir()
    db.commit()
    sent = [submission.send_batch(db, b, remote=LocalFolder(tmp_path), actor="t")
            for b in submission.plan_batches(db, max_claims_per_file=5000)]
    assert sent and all(r["state"] == "uploaded" for r in sent), sent
    held = {r[0] for r in db.execute("SELECT c.id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id "
                                     "WHERE v.patient_id = %s", (patient,))}
    in_batches = {r[0] for r in db.execute("SELECT claim_id FROM billing.batch_claims")}
    assert held and not held & in_batches and in_batches
