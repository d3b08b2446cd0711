"""Corrections never invent coding: only the field the item names, values from a person (or the
demo clerk's answer key: the practice's record), and every corrected claim through the scrubber.

Expected findings follow CPT's modifier definitions: 25 is a separately identifiable E/M on the
same day as another service; 59 (and XE/XP/XS/XU) is a distinct service other than E/M."""

from __future__ import annotations

import datetime as dt

import pytest

from include.billing import workqueue
from include.billing.denials import route_denials
from include.billing.posting import post_stored_remittances
from include.billing.scrub import scrub_claims_sql
from include.devenv.demo_clerk import auto_correct_for_demo
from tests.unit.posting.factory import DOS, denied_clp, file_835, remittance, seed_practice, store

ACTOR = "test:corrections"
TODAY = dt.date(2026, 3, 21)


def _codes(db, *lines):
    """The scrubber's finding codes for a waiting claim with these lines (code, modifiers, day or the DOS)."""
    (claim,) = seed_practice(db, 1, lines=len(lines), status="new")
    for n, (code, mods, day) in enumerate(lines, start=1):
        db.execute("UPDATE billing.claim_lines SET procedure_code = %s, modifiers = %s, service_date = %s "
                   "WHERE claim_id = %s AND line_number = %s", (code, list(mods), day or DOS, claim["id"], n))
    return {f.code for f in scrub_claims_sql(db, [claim["id"]], TODAY)[claim["id"]].findings}


@pytest.mark.parametrize("lines,expected", [
    ([("99394", ["59"], None)], {"SCRUB_MODIFIER_59"}),                          # 59 on a preventive E/M
    ([("99214", ["XS"], None), ("36415", [], None)], {"SCRUB_MODIFIER_59"}),     # X{EPSU} are 59's subsets
    ([("36415", ["59"], None), ("85025", [], None)], set()),                     # 59 on a procedure: fine
    ([("99213", ["25"], None)], {"SCRUB_MODIFIER_25"}),                          # 25 on the only service
    ([("99213", ["25"], None), ("36415", [], None)], set()),                     # E/M-25 + procedure same day
    ([("99213", ["25"], None), ("99394", [], None)], set()),                     # problem E/M-25 + preventive
    ([("99213", ["25"], None), ("36415", [], DOS + dt.timedelta(days=1))], {"SCRUB_MODIFIER_25"}),  # other day
    ([("99213", ["25"], None), ("99213", [], None)], {"SCRUB_MODIFIER_25"}),     # the same code again
    ([("85025", ["25"], None), ("99213", [], None)], {"SCRUB_MODIFIER_25"}),     # 25 on a non-E/M code
    ([("99499", ["59"], None)], {"SCRUB_MODIFIER_59"}), ([("99201", ["59"], None)], set()),   # range ends
])
def test_modifier_25_and_59_edits(db, lines, expected):
    found = _codes(db, *lines) & {"SCRUB_MODIFIER_25", "SCRUB_MODIFIER_59"}
    assert found == expected


def _deny(db, claim, group="CO", carc="16", rarc=None, trace="T1"):
    store(db, f"{trace}.835", file_835([remittance([denied_clp(claim, group, carc, rarc)], trace=trace)]))
    post_stored_remittances(db, actor=ACTOR)
    route_denials(db, actor=ACTOR, today=TODAY, pdf=False, appeal_dir=None)
    db.commit()
    return db.execute("SELECT id FROM billing.work_queue WHERE claim_id = %s AND reason_code LIKE 'CARC_%%'",
                      (claim["id"],)).fetchone()[0]


@pytest.fixture(autouse=True)
def _appeals(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_APPEAL_DIR", str(tmp_path))


def test_a_correction_changes_only_what_the_item_names(db):
    (claim,) = seed_practice(db, 1)
    item = _deny(db, claim, "CO", "4")                       # CO-4: the modifier
    with pytest.raises(workqueue.ActionError, match="asks for a correction of modifiers"):
        workqueue.correct(db, item, "dx_pointers", "1", actor="user:alice", line_number=1)
    db.rollback()
    workqueue.correct(db, item, "modifiers", "", actor="user:alice", line_number=1)


def test_a_corrected_claim_that_fails_the_scrubber_is_held_not_sent(db):
    (claim,) = seed_practice(db, 1, lines=1)                  # 99213 alone
    item = _deny(db, claim, "CO", "4")
    workqueue.correct(db, item, "modifiers", "25", actor="user:alice", line_number=1)
    out = workqueue.release(db, item, actor="user:alice", today=TODAY)
    db.commit()
    status = db.execute("SELECT status FROM billing.claims WHERE id = %s", (out["replacement_claim_id"],)).fetchone()
    assert status[0] == "held"
    number = db.execute("SELECT claim_number FROM billing.claims WHERE id = %s",
                        (out["replacement_claim_id"],)).fetchone()[0]
    assert db.execute("SELECT reason_code, explanation, details->>'claim_number' FROM billing.work_queue "
                      "WHERE claim_id = %s", (out["replacement_claim_id"],)).fetchall() == [(
        "SCRUB_MODIFIER_25", "Modifier 25 problem: line 1: modifier 25 on 99213 needs another service billed on the "
                             "same date on this claim; without one, remove it.", number)]


def test_a_held_claim_is_rescrubbed_before_release(db):
    """The work queue's one-claim scrub (the scrubbing step's query, on a claim in status held): still failing,
    the release is refused with the finding; corrected, it goes to ready."""
    from include.billing.scrub import scrub_pending_claims

    (claim,) = seed_practice(db, 1, lines=1, status="new")
    db.execute("UPDATE billing.claim_lines SET dx_pointers = '{3}' WHERE claim_id = %s", (claim["id"],))
    scrub_pending_claims(db, actor=ACTOR, today=TODAY)
    db.commit()
    item = db.execute("SELECT id FROM billing.work_queue WHERE claim_id = %s AND reason_code = 'SCRUB_DX_POINTER'",
                      (claim["id"],)).fetchone()[0]
    with pytest.raises(workqueue.ActionError) as refused:
        workqueue.release(db, item, actor="user:alice", today=TODAY)
    assert str(refused.value) == (f"claim {claim['id']} still fails the scrubber: SCRUB_DX_POINTER: Diagnosis pointer "
                                  f"problem: line 1 points to diagnosis 3 but the claim has 1.")
    db.rollback()
    workqueue.correct(db, item, "dx_pointers", "1", actor="user:alice", line_number=1)
    assert workqueue.release(db, item, actor="user:alice", today=TODAY)["status"] == "ready"
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim["id"],)).fetchone()[0] == "ready"


def _replacement_lines(db, claim):
    return db.execute("""SELECT l.procedure_code, l.modifiers, l.dx_pointers, c.frequency_code, c.status
                           FROM billing.claims c JOIN billing.claim_lines l ON l.claim_id = c.id
                          WHERE c.replaces_claim_id = %s ORDER BY l.line_number""", (claim["id"],)).fetchall()


def test_the_demo_clerk_adds_no_coding_the_record_does_not_have(db):
    c1, c2 = seed_practice(db, 2, lines=1)                    # each 99213 alone, pointer 1
    # c2's visit is coded with two diagnoses, its line pointing at both (1:2)
    db.execute("UPDATE billing.claims SET diagnosis_codes = '{J069,R509}' WHERE id = %s", (c2["id"],))
    db.execute("UPDATE billing.claim_lines SET dx_pointers = '{1,2}' WHERE claim_id = %s", (c2["id"],))
    db.execute("UPDATE pm.charges SET dx_pointer2 = 2 WHERE id = (SELECT charge_id FROM billing.claim_lines "
               "WHERE claim_id = %s)", (c2["id"],))
    db.commit()
    _deny(db, c1, "CO", "16", "M51", trace="T1")
    _deny(db, c2, "CO", "16", "M51", trace="T2")
    assert auto_correct_for_demo(db, "user:demo-clerk", today=TODAY) == 2
    db.commit()
    # the record agrees with each claim: nothing corrected, no modifier added, no pointer cut
    assert _replacement_lines(db, c1) == [("99213", [], [1], "7", "ready")]
    assert _replacement_lines(db, c2) == [("99213", [], [1, 2], "7", "ready")]
    assert db.execute("SELECT count(*) FROM billing.claim_events WHERE event_type = 'corrected'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM billing.claim_events WHERE event_type = 'verified_against_record'"
                      ).fetchone()[0] == 2


def test_the_demo_clerk_fixes_a_modifier_from_the_record(db):
    (claim,) = seed_practice(db, 1)                            # 99213 + 85025
    db.execute("UPDATE billing.claim_lines SET modifiers = '{59}' WHERE claim_id = %s AND line_number = 1",
               (claim["id"],))
    db.execute("UPDATE pm.charges SET modifier1 = '25' WHERE id = (SELECT charge_id FROM billing.claim_lines "
               "WHERE claim_id = %s AND line_number = 1)", (claim["id"],))
    db.commit()
    _deny(db, claim, "CO", "4")
    assert auto_correct_for_demo(db, "user:demo-clerk", today=TODAY) == 1
    db.commit()
    assert _replacement_lines(db, claim) == [("99213", ["25"], [1], "7", "ready"), ("85025", [], [1], "7", "ready")]
    detail = db.execute("SELECT detail FROM billing.claim_events WHERE event_type = 'corrected'").fetchone()[0]
    assert (detail["field"], detail["before"], detail["after"]) == ("modifiers", ["59"], ["25"])


def test_the_demo_clerk_confirms_coverage_then_sends_a_new_claim(db):
    (claim,) = seed_practice(db, 1)
    db.execute("""INSERT INTO pm.synthetic_member_plans (payer_id, member_id, last_name, first_name, birth_date, sex,
                      status, plan_begin, policy_id)
                  SELECT ip.payer_id, ip.member_id, 'DOE', 'PAT', DATE '1980-01-01', 'F', 'active', DATE '2025-01-01',
                         ip.id FROM billing.claims c JOIN pm.insurance_policies ip ON ip.id = c.policy_id
                   WHERE c.id = %s""", (claim["id"],))
    db.commit()
    _deny(db, claim, "CO", "22", "MA04")
    assert auto_correct_for_demo(db, "user:demo-clerk", today=TODAY) == 1
    db.commit()
    assert db.execute("SELECT state FROM billing.work_queue WHERE reason_code = 'COB_COVERAGE_ORDER'"
                      ).fetchone()[0] == "resolved"
    lines = _replacement_lines(db, claim)
    assert {(r[3], r[4]) for r in lines} == {("1", "ready")}


def test_the_demo_clerk_leaves_an_unconfirmed_coverage_to_a_person(db):
    (claim,) = seed_practice(db, 1)                            # no roster row: the card confirms nothing
    _deny(db, claim, "CO", "109")
    assert auto_correct_for_demo(db, "user:demo-clerk", today=TODAY) == 0
    assert _replacement_lines(db, claim) == []
