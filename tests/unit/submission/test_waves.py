"""The backlog in waves (submission.run_pipeline with wave_claims, BatchSender) against a real PostgreSQL:
the same claims reach valid 837Ps as in one pass, and a wave's bound keeps each stage to its own claims."""

from __future__ import annotations

import datetime as dt
import os

import psycopg
import pytest

from include.billing import claims as ledger
from include.billing import data_quality, eligibility, scrub, submission
from include.billing.transport import LocalFolder

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def other_db_url(pg_admin_url, pg_template):
    """A second fresh database from the same template (conftest's db_url, once more)."""
    from psycopg import sql

    from tests.conftest import _with_database

    name = f"billing_t{os.getpid()}_waves"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                      sql.Identifier(pg_template)))
    yield _with_database(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def payer(tmp_path, db_url):
    """The sandbox's real-time eligibility endpoint over the roster of a seeded practice (seed 12)."""
    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice
    from include.sandbox.eligibility import serve_eligibility_http
    from include.sandbox.roster import Roster

    with psycopg.connect(db_url) as db:
        seed_practice(db, visits=150, seed=12, dirty_share=0.15)
        db.commit()
        export_roster(db, tmp_path / "roster.json")
    srv = serve_eligibility_http(Roster.load(tmp_path / "roster.json"))
    yield srv
    srv.shutdown()


def _pipeline(url, folder, payer, **kw) -> dict:
    from include.billing.eligibility import RealtimeTransport

    for d in ("inbound", "archive"):
        (folder / d).mkdir(parents=True)
    with psycopg.connect(url) as db:
        return submission.run_pipeline(db, remote=LocalFolder(folder), eligibility_transport=RealtimeTransport(payer.url),
                                       high_water=NOW, run_id="t", max_claims_per_file=10, workers=2, **kw)


def _outcome(url) -> dict:
    with psycopg.connect(url) as db:
        status = dict(db.execute("SELECT claim_number, status FROM billing.claims"))
        reasons: dict[str, set] = {}
        for number, code in db.execute("""SELECT c.claim_number, w.reason_code FROM billing.work_queue w
                                            JOIN billing.claims c ON c.id = w.claim_id"""):
            reasons.setdefault(number, set()).add(code)
        # every submitted claim in exactly one uploaded batch, whose stored file is the one sent and the
        # one its submitted event names
        rows = db.execute("""SELECT c.claim_number, b.state, f.state, e.source_file_id = b.edi_file_id
                               FROM billing.claims c
                               JOIN billing.batch_claims bc ON bc.claim_id = c.id
                               JOIN billing.submission_batches b ON b.id = bc.batch_id
                               JOIN billing.edi_files f ON f.id = b.edi_file_id
                               JOIN billing.claim_events e ON e.claim_id = c.id AND e.event_type = 'submitted'
                              WHERE c.status = 'submitted'""").fetchall()
        assert len(rows) == len({r[0] for r in rows}) == sum(s == "submitted" for s in status.values())
        assert all(r[1:] == ("uploaded", "sent", True) for r in rows)
        files = {name: bytes(content) for name, content in db.execute(
            """SELECT f.file_name, f.content FROM billing.submission_batches b
                 JOIN billing.edi_files f ON f.id = b.edi_file_id WHERE b.state = 'uploaded'""")}
    return {"status": status, "reasons": reasons, "files": files}


def test_waves_submit_the_same_claims_into_valid_837ps_as_one_pass(db_url, other_db_url, payer, tmp_path):
    from include.practice.seed import seed_practice

    with psycopg.connect(other_db_url) as db:
        seed_practice(db, visits=150, seed=12, dirty_share=0.15)
        db.commit()
    one = _pipeline(db_url, tmp_path / "one", payer)
    waves = _pipeline(other_db_url, tmp_path / "waves", payer, wave_claims=40)
    assert waves["waves"] == -(-one["data_quality"]["claims_checked"] // 40) >= 3
    for step in ("data_quality", "eligibility", "scrub"):
        assert sum(w["claims_checked" if step != "scrub" else "claims_scrubbed"] for w in waves[step]) == \
            one[step]["claims_checked" if step != "scrub" else "claims_scrubbed"]
        assert sum(w["claims_held"] for w in waves[step]) == one[step]["claims_held"]
    a, b = _outcome(db_url), _outcome(other_db_url)
    assert a["status"] == b["status"] and a["reasons"] == b["reasons"]
    assert "held" in a["status"].values() and "submitted" in a["status"].values()
    # every file went out clean (pyx12 found no error) and is in the mailbox as stored
    for run, outcome in (("one", a), ("waves", b)):
        assert {r["state"] for r in (one if run == "one" else waves)["send_batch"]} == {"uploaded"}
        inbound = {p.name: p.read_bytes() for p in (tmp_path / run / "inbound").iterdir()}
        assert inbound == outcome["files"]
    # the waves' files hold the same claims, cut per wave (more files)
    assert len(b["files"]) >= len(a["files"])
    # each wave's data-quality results are kept under a key of their own
    with psycopg.connect(other_db_url) as db:
        keys = {k for (k,) in db.execute("SELECT natural_key FROM billing.artefacts WHERE kind = 'dq_results'")}
    assert keys == {f"dq/t.wave{i}" for i in range(1, waves["waves"] + 1)}


def test_a_wave_moves_only_its_claims_through_each_stage(db_url, payer):
    from include.billing.eligibility import RealtimeTransport

    with psycopg.connect(db_url) as db:
        ledger.pick_up_visits(db, high_water=NOW, actor="t")
        ledger.build_claims(db, actor="t")
        db.commit()
        ids = [i for (i,) in db.execute("SELECT id FROM billing.claims ORDER BY id")]
        through = submission.wave_end(db, 30)
        assert through == ids[29]
        wave = set(ids[:30])

        def new():
            return {i for (i,) in db.execute("SELECT id FROM billing.claims WHERE status = 'new'")}

        def held(stage):
            return {i for (i,) in db.execute("SELECT claim_id FROM billing.claim_events WHERE event_type = %s",
                                             (f"held_{stage}",))}

        dq = data_quality.check_new_claims(db, actor="t", run_id="w1", through_claim_id=through)
        assert dq["claims_checked"] == 30 and held("data_quality") <= wave
        el = eligibility.check_new_claims(db, transport=RealtimeTransport(payer.url), actor="t",
                                          today=NOW.date(), through_claim_id=through)
        assert el["claims_checked"] == 30 - dq["claims_held"] and held("eligibility") <= wave
        sc = scrub.scrub_pending_claims(db, actor="t", today=NOW.date(), through_claim_id=through)
        assert sc["claims_scrubbed"] == 30 - dq["claims_held"] - el["claims_held"]
        assert sc["claims_ready"] + sc["claims_held"] == sc["claims_scrubbed"] and held("scrubbing") <= wave
        db.commit()
        assert dq["claims_held"] + el["claims_held"] + sc["claims_held"] > 0     # the wave has dirty claims
        # a claim held by one stage never reached the next; the rest of the backlog was not touched
        assert not held("data_quality") & (held("eligibility") | held("scrubbing"))
        assert not held("eligibility") & held("scrubbing")
        assert new() == set(ids[30:])
        assert db.execute("SELECT count(*) FROM billing.claim_events WHERE claim_id > %s "
                          "AND event_type <> 'created'", (through,)).fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM billing.eligibility_checks c JOIN billing.claims cl "
                          "ON cl.policy_id = c.policy_id WHERE cl.id <= %s", (through,)).fetchone()[0] > 0
        # the next wave starts after this one; none when nothing waits
        assert submission.wave_end(db, 30, after=through) == ids[min(59, len(ids) - 1)]
        assert submission.wave_end(db, 10_000, after=ids[-1]) is None


def test_batch_sender_takes_batches_as_they_come_and_sends_each_once_in_order(seeded_ready, tmp_path):
    db = seeded_ready
    for d in ("inbound", "archive"):
        (tmp_path / d).mkdir()
    batch_ids = submission.plan_batches(db, max_claims_per_file=5)
    assert len(batch_ids) >= 4
    with submission.BatchSender(db, remote=LocalFolder(tmp_path), actor="t", workers=2, queue=1) as sender:
        sender.submit(batch_ids[:2])
        sender.poll()
        sender.submit(batch_ids)                 # the first two again: skipped
    assert [r["batch_id"] for r in sender.results] == batch_ids
    assert {r["state"] for r in sender.results} == {"uploaded"}
    assert sum(r["claims_submitted"] for r in sender.results) == \
        db.execute("SELECT count(*) FROM billing.claims WHERE status = 'submitted'").fetchone()[0]
    with pytest.raises(RuntimeError):
        sender.submit(batch_ids)


@pytest.fixture
def seeded_ready(db):
    from include.practice.seed import seed_practice

    seed_practice(db, visits=40, seed=11, dirty_share=0.0)
    ledger.pick_up_visits(db, high_water=NOW, actor="t")
    ledger.build_claims(db, actor="t")
    scrub.scrub_pending_claims(db, actor="t", today=NOW.date())
    db.commit()
    return db
