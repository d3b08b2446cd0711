"""835 posting rules against a real Postgres, with 835s built by include.edi."""
from __future__ import annotations

from decimal import Decimal

import pytest

from include.billing.posting import other_payer_data, post_stored_remittances
from include.billing.rcm_sql import query
from tests.support.faults import Fault, FaultyConnection, InjectedFault
from tests.unit.posting.factory import (
    denied_clp,
    file_835,
    negate,
    paid_clp,
    remittance,
    seed_practice,
    snapshot,
    store,
)

ACTOR = "test:posting"


def status_of(db, claim_id):
    return db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim_id,)).fetchone()[0]


def ledger(db, claim_id=None):
    q = "SELECT category, amount, entry_type FROM billing.patient_ledger"
    if claim_id:
        return db.execute(q + " WHERE claim_id = %s ORDER BY id", (claim_id,)).fetchall()
    return db.execute(q + " ORDER BY id").fetchall()


def test_balanced_835_posts_payments_adjustments_and_patient_shares(db):
    c1, c2 = seed_practice(db, 2)
    r = remittance([paid_clp(c1, deductible=Decimal("20.00"), copay=Decimal("10.00")),
                    paid_clp(c2, coinsurance=Decimal("5.50"))], plb=[("L6", "-1.25")])
    store(db, "a.835", file_835([r]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_posted"] == 1 and out["claims_posted"] == 2
    rem = db.execute("SELECT payment_amount, state FROM billing.remittances").fetchone()
    paid = db.execute("SELECT sum(paid) FROM billing.claim_payments").fetchone()[0]
    plb = db.execute("SELECT sum(amount) FROM billing.provider_adjustments").fetchone()[0]
    assert rem == (paid - plb, "posted")
    assert plb == Decimal("-1.25")
    assert status_of(db, c1["id"]) == "paid"
    assert sorted(ledger(db, c1["id"])) == [("copay", Decimal("10.00"), "patient_responsibility"),
                                            ("deductible", Decimal("20.00"), "patient_responsibility")]
    assert ledger(db, c2["id"]) == [("coinsurance", Decimal("5.50"), "patient_responsibility")]
    # every line matched by REF*6R, contractual adjustments recorded
    assert db.execute("SELECT count(*) FROM billing.line_payments WHERE claim_line_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM billing.adjustments WHERE group_code = 'CO' AND reason_code = '45'"
                      ).fetchone()[0] == 4
    assert db.execute("SELECT payer_claim_control_number FROM billing.claims WHERE id = %s",
                      (c1["id"],)).fetchone()[0] == f"PCN{c1['id']:08d}"
    assert db.execute("SELECT state FROM billing.edi_files").fetchone()[0] == "applied"
    ev = db.execute("SELECT event_type, from_status, to_status, source_file_id IS NOT NULL FROM billing.claim_events"
                    " WHERE claim_id = %s ORDER BY id", (c1["id"],)).fetchall()
    assert ev[-1] == ("remittance_paid", "submitted", "paid", True)


def test_unbalanced_835_is_held_and_nothing_posted(db):
    (c1,) = seed_practice(db, 1)
    r = remittance([paid_clp(c1)], payment_amount=Decimal("1.00"))
    fid = store(db, "bad.835", file_835([r]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_held"] == 1
    state, reason = db.execute("SELECT state, held_reason FROM billing.remittances").fetchone()
    assert state == "held" and "BPR02" in reason
    assert db.execute("SELECT count(*) FROM billing.claim_payments").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM billing.patient_ledger").fetchone()[0] == 0
    assert db.execute("SELECT state FROM billing.edi_files WHERE id = %s", (fid,)).fetchone()[0] == "held"
    wq = db.execute("SELECT source, reason_code FROM billing.work_queue").fetchall()
    assert wq == [("remittance", "REMIT_UNBALANCED")]
    assert status_of(db, c1["id"]) == "submitted"


def test_unbalanced_claim_is_held(db):
    (c1,) = seed_practice(db, 1)
    clp = paid_clp(c1)
    clp.lines[0].adjustments[0].amount += Decimal("0.01")      # CAS off by a cent
    store(db, "bad.835", file_835([remittance([clp])]))
    assert post_stored_remittances(db, actor=ACTOR)["remittances_held"] == 1
    assert db.execute("SELECT count(*) FROM billing.claim_payments").fetchone()[0] == 0


def test_unmatched_claim_holds_the_whole_remittance(db):
    c1, c2 = seed_practice(db, 2)
    ghost = dict(c2, claim_number="V9999999P1")
    store(db, "u.835", file_835([remittance([paid_clp(c1), paid_clp(ghost)])]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_held"] == 1
    reason = db.execute("SELECT held_reason FROM billing.remittances").fetchone()[0]
    assert "V9999999P1" in reason
    assert db.execute("SELECT count(*) FROM billing.claim_payments").fetchone()[0] == 0
    assert status_of(db, c1["id"]) == "submitted"
    assert db.execute("SELECT reason_code FROM billing.work_queue").fetchone()[0] == "REMIT_UNMATCHED"


def test_duplicate_835_changes_nothing(db):
    c1, c2 = seed_practice(db, 2)
    r = remittance([paid_clp(c1, deductible=Decimal("20.00")), paid_clp(c2)])
    store(db, "one.835", file_835([r]))
    post_stored_remittances(db, actor=ACTOR)
    before = snapshot(db)
    # the same bytes again are not even stored; the same payment in a new envelope is a duplicate
    store(db, "one-again.835", file_835([r]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_duplicate"] == 1 and out["remittances_posted"] == 0
    after = snapshot(db)
    for t in before:
        if t != "edi_files":
            assert before[t] == after[t], t


def test_reversal_undoes_the_posting_exactly_and_correction_reposts(db):
    c1, c2 = seed_practice(db, 2)
    first = paid_clp(c1, deductible=Decimal("20.00"), copay=Decimal("10.00"))
    store(db, "p1.835", file_835([remittance([first, paid_clp(c2)], trace="T1")]))
    post_stored_remittances(db, actor=ACTOR)
    # the payer takes it back and re-adjudicates with a smaller deductible
    corrected = paid_clp(c1, deductible=Decimal("5.00"), copay=Decimal("10.00"))
    store(db, "p2.835", file_835([remittance([negate(first), corrected], trace="T2")]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_posted"] == 1
    rows = db.execute("SELECT is_reversal, paid, reverses_payment_id IS NOT NULL FROM billing.claim_payments "
                      "WHERE claim_id = %s ORDER BY id", (c1["id"],)).fetchall()
    assert [r[0] for r in rows] == [False, True, False] and rows[1][2]
    assert rows[0][1] + rows[1][1] == 0
    assert sum(r[1] for r in rows) == corrected.paid
    led = ledger(db, c1["id"])
    # the reversal took back deductible 20 + copay 10; the re-adjudication says deductible 5 + copay 10:
    # the ledger moved by the difference only, deductible -15
    by_category = {}
    for category, amount, _ in led:
        by_category[category] = by_category.get(category, 0) + amount
    assert by_category == {"deductible": Decimal("5.00"), "copay": Decimal("10.00")}
    assert [a for c, a, _ in led if c == "deductible"] == [Decimal("20.00"), Decimal("-15.00")]
    ev = [r[0] for r in db.execute("SELECT to_status FROM billing.claim_events WHERE claim_id = %s ORDER BY id",
                                   (c1["id"],)).fetchall()]
    assert ev[-2:] == ["reversed", "paid"] and status_of(db, c1["id"]) == "paid"


def test_reversal_of_unknown_payment_is_held(db):
    (c1,) = seed_practice(db, 1)
    store(db, "r.835", file_835([remittance([negate(paid_clp(c1))], trace="T9")]))
    assert post_stored_remittances(db, actor=ACTOR)["remittances_held"] == 1
    assert "never posted" in db.execute("SELECT held_reason FROM billing.remittances").fetchone()[0]


def test_plb_kept_and_applied(db):
    (c1,) = seed_practice(db, 1)
    store(db, "plb.835", file_835([remittance([paid_clp(c1)], plb=[("L6", "-2.10"), ("FB", "15.00")])]))
    post_stored_remittances(db, actor=ACTOR)
    rows = db.execute("SELECT position, reason_code, amount, applied_as FROM billing.provider_adjustments "
                      "ORDER BY position").fetchall()
    # L6 is interest income; a lone FB is a forwarding balance that waits for its opposite
    assert rows == [(1, "L6", Decimal("-2.10"), "interest_income"),
                    (2, "FB", Decimal("15.00"), "forwarding_balance")]
    assert db.execute("SELECT reason_code, state FROM billing.work_queue").fetchall() == [
        ("PLB_FORWARDING_BALANCE", "open")]
    bpr = db.execute("SELECT payment_amount FROM billing.remittances").fetchone()[0]
    assert bpr == paid_clp(c1).paid + Decimal("2.10") - Decimal("15.00")


def test_dropped_ref_6r_falls_back_to_procedure_and_date(db):
    (c1,) = seed_practice(db, 1, lines=3)
    store(db, "noref.835", file_835([remittance([paid_clp(c1, drop_ref=True)])]))
    post_stored_remittances(db, actor=ACTOR)
    rows = db.execute("""SELECT lp.procedure_code, cl.procedure_code, cl.line_number FROM billing.line_payments lp
                         JOIN billing.claim_lines cl ON cl.id = lp.claim_line_id ORDER BY lp.svc_index""").fetchall()
    assert len(rows) == 3 and all(a == b for a, b, _ in rows)
    assert [n for _, _, n in rows] == [1, 2, 3]


def test_denied_and_partially_paid_status(db):
    c1, c2 = seed_practice(db, 2)
    part = paid_clp(c2)
    # second line denied as bundled (CO-97): paid 0 on that line
    ln = part.lines[1]
    part.paid -= ln.paid
    ln.adjustments = [type(ln.adjustments[0])("CO", "97", ln.charge)]
    ln.paid = Decimal(0)
    store(db, "d.835", file_835([remittance([denied_clp(c1, "CO", "16", "M51"), part])]))
    post_stored_remittances(db, actor=ACTOR)
    assert status_of(db, c1["id"]) == "denied"
    assert status_of(db, c2["id"]) == "partially_paid"
    assert db.execute("SELECT remark_codes FROM billing.adjustments a JOIN billing.claim_payments cp "
                      "ON cp.id = a.claim_payment_id WHERE cp.claim_id = %s LIMIT 1",
                      (c1["id"],)).fetchone()[0] == ["M51"]


def test_unparseable_file_is_quarantined_and_batch_goes_on(db):
    (c1,) = seed_practice(db, 1)
    good = file_835([remittance([paid_clp(c1)])])
    marker = f"CLP*{c1['claim_number']}*1*".encode()
    corrupt = good.replace(marker, marker + b"X")           # CLP03 is no longer a number
    assert corrupt != good
    bad_id = store(db, "corrupt.835", corrupt)
    store(db, "good.835", good)
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["quarantined"] == 1 and out["remittances_posted"] == 1
    state, err = db.execute("SELECT state, error FROM billing.edi_files WHERE id = %s", (bad_id,)).fetchone()
    assert state == "quarantined" and "corrupt.835" in err and "segment" in err


def test_crash_mid_posting_rolls_back_and_rerun_matches(db):
    c1, c2 = seed_practice(db, 2)
    store(db, "a.835", file_835([remittance([paid_clp(c1, copay=Decimal("10.00"))], trace="A")]))
    store(db, "b.835", file_835([remittance([paid_clp(c2, copay=Decimal("10.00"))], trace="B")]))
    # the first payment run crashes after its claims' statuses moved, before it commits
    crash = Fault(statement=query("ledger", "close_superseded_denial_items"))
    with pytest.raises(InjectedFault):
        post_stored_remittances(FaultyConnection(db, crash), actor=ACTOR)
    assert crash.fired
    db.rollback()
    assert db.execute("SELECT count(*) FROM billing.claim_payments").fetchone()[0] == 0
    post_stored_remittances(db, actor=ACTOR)
    post_stored_remittances(db, actor=ACTOR)
    assert db.execute("SELECT count(*), sum(paid) FROM billing.claim_payments").fetchone() == (
        2, paid_clp(c1, copay=Decimal("10.00")).paid * 2)
    assert db.execute("SELECT sum(amount) FROM billing.patient_ledger").fetchone()[0] == Decimal("20.00")


def test_secondary_claim_created_with_prior_payer_data(db):
    c1, c2 = seed_practice(db, 2, secondary_for={1})
    store(db, "s.835", file_835([remittance([paid_clp(c1, deductible=Decimal("20.00")),
                                             paid_clp(c2, deductible=Decimal("20.00"))])]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_posted"] == 1 and out["secondary_claims"] == 1
    rows = db.execute("""SELECT claim_number, responsibility, status, prior_payer_paid, prior_payer_adjustments,
                                payer_id FROM billing.claims WHERE responsibility = 'S'""").fetchall()
    assert len(rows) == 1
    number, resp, status, prior_paid, prior, payer_id = rows[0]
    assert number == c1["claim_number"].replace("P1", "S1") and status == "ready"
    assert prior_paid == paid_clp(c1, deductible=Decimal("20.00")).paid
    data = other_payer_data(prior)
    assert ("PR", "1", Decimal("20.00")) in data["lines"][1]["adjustments"]
    assert data["paid"] == prior_paid
    lines = db.execute("SELECT line_control_number FROM billing.claim_lines cl JOIN billing.claims c "
                       "ON c.id = cl.claim_id WHERE c.claim_number = %s ORDER BY line_number", (number,)).fetchall()
    assert [r[0] for r in lines] == [f"{number}L1", f"{number}L2"]
    ev = db.execute("SELECT event_type FROM billing.claim_events e JOIN billing.claims c ON c.id = e.claim_id "
                    "WHERE c.claim_number = %s ORDER BY e.id", (number,)).fetchall()
    assert [e[0] for e in ev] == ["created", "secondary_ready"]
    # c1's deductible waits for the secondary payer; c2 (no other coverage) owes its deductible now
    assert ledger(db, c1["id"]) == []
    assert ledger(db, c2["id"]) == [("deductible", Decimal("20.00"), "patient_responsibility")]


def test_other_payer_loops_for_the_837_of_a_secondary_claim(db):
    from include.billing.posting import other_payers_837
    from include.edi.model import Address, Claim837, Payer, Provider, Receiver, ServiceLine, Submitter, Subscriber
    from include.edi.x837p import build_837p, read_837p

    (c1,) = seed_practice(db, 1, secondary_for={1})
    store(db, "s.835", file_835([remittance([paid_clp(c1, deductible=Decimal("20.00"))])]))
    post_stored_remittances(db, actor=ACTOR)
    sid = db.execute("SELECT id FROM billing.claims WHERE responsibility = 'S'").fetchone()[0]
    ops, lines = other_payers_837(db, [sid])[sid]
    assert ops[0].payer_id == "BHP01" and ops[0].paid_amount == paid_clp(c1, deductible=Decimal("20.00")).paid
    import datetime as dt
    c = Claim837(claim_id=c1["claim_number"].replace("P1", "S1"), total_charge=Decimal("200"), place_of_service="11",
                 billing_provider=Provider(org_name="ACME", npi="1234567893", tax_id="123456789",
                                           address=Address("1 MAIN", "SPRINGFIELD", "IL", "627011234")),
                 subscriber=Subscriber(member_id="S1", last_name="DOE", first_name="PAT",
                                       birth_date=dt.date(1980, 1, 1), sex="F",
                                       address=Address("1 ELM", "SPRINGFIELD", "IL", "62701"),
                                       payer_responsibility="S"),
                 payer=Payer(name="SECOND PLAN", payer_id="SEC01"), diagnosis_codes=["J069"],
                 lines=[ServiceLine(line_control_number=f"L{n}", procedure_code="99213", charge=Decimal("100"),
                                    service_date=dt.date(2026, 3, 2)) for n in (1, 2)])
    c.other_payers = ops
    for n, ln in enumerate(c.lines, start=1):
        ln.adjudications = lines[n]
    data = build_837p([c], submitter=Submitter(name="ACME", id="ACME01"), receiver=Receiver(name="CH", id="SANDBOX"),
                      interchange_control_number=1,
                      group_control_number=1, first_transaction_control_number=1)
    back = read_837p(data)[0]
    assert back.other_payers[0].paid_amount == ops[0].paid_amount


def test_released_hold_posts_once_the_cause_is_fixed(db):
    from include.billing.posting import release_held_remittance

    c1, c2 = seed_practice(db, 2)
    late = dict(c2, claim_number="V0000003P1")
    store(db, "u.835", file_835([remittance([paid_clp(c1), paid_clp(late)], trace="H1")]))
    post_stored_remittances(db, actor=ACTOR)
    rem_id = db.execute("SELECT id FROM billing.remittances WHERE state = 'held'").fetchone()[0]
    seed_practice(db, 1)                        # the missing claim (V0000003P1) arrives
    assert release_held_remittance(db, rem_id, actor="user:reviewer") is not None
    db.commit()
    assert release_held_remittance(db, rem_id, actor="user:reviewer") is None
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["remittances_posted"] == 1
    assert db.execute("SELECT count(*) FROM billing.claim_payments").fetchone()[0] == 2
    assert db.execute("SELECT state FROM billing.work_queue").fetchone()[0] == "resolved"


@pytest.mark.parametrize("bad", ["1E+999999", "20000000000", "80.005", "NaN"])
def test_a_bad_amount_quarantines_its_file_and_the_two_behind_it_post(db, bad):
    c1, c2, c3 = seed_practice(db, 3)
    first = file_835([remittance([paid_clp(c1)], trace="BAD")])
    marker = f"CLP*{c1['claim_number']}*1*200*".encode()
    assert marker in first
    paid = paid_clp(c1).paid
    corrupt = first.replace(marker + f"{paid:f}".rstrip("0").rstrip(".").encode(), marker + bad.encode())
    assert corrupt != first
    bad_id = store(db, "bad-amount.835", corrupt)          # oldest: posting meets it first
    store(db, "good-1.835", file_835([remittance([paid_clp(c2)], trace="G1")]))
    store(db, "good-2.835", file_835([remittance([paid_clp(c3)], trace="G2")]))
    out = post_stored_remittances(db, actor=ACTOR)
    assert out["quarantined"] == 1 and out["remittances_posted"] == 2
    state, err = db.execute("SELECT state, error FROM billing.edi_files WHERE id = %s", (bad_id,)).fetchone()
    assert state == "quarantined" and "bad-amount.835" in err and "CLP04" in err and "segment" in err
    assert status_of(db, c1["id"]) == "submitted"
    assert status_of(db, c2["id"]) == "paid" and status_of(db, c3["id"]) == "paid"
    assert db.execute("SELECT count(*) FROM billing.remittances").fetchone()[0] == 2


def test_a_tertiary_claim_carries_both_earlier_payers_in_its_837(db):
    """P leaves PR 20.00 → S1; S pays 10.00 and leaves PR-2 10.00 → T1, whose 837 has two 2320 loops
    (primary's SBR01=P with its paid 80.00, secondary's SBR01=S with 10.00) and two 2430s per line."""
    from include.billing.posting import other_payers_837
    from include.billing.status import set_status

    (c1,) = seed_practice(db, 1, secondary_for={1})
    pid = db.execute("SELECT patient_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id "
                     "WHERE c.id = %s", (c1["id"],)).fetchone()[0]
    db.execute("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                  VALUES ('THIRD PLAN', 'TER01', 'CI')""")
    db.execute("""INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id, subscriber_last_name,
                      subscriber_first_name, subscriber_birth_date, subscriber_sex, subscriber_address1,
                      subscriber_city, subscriber_state, subscriber_zip, effective_date)
                  SELECT %s, id, 'tertiary', 'T1', 'DOE', 'PAT', DATE '1980-01-01', 'F', '1 ELM', 'SPRINGFIELD', 'IL',
                         '62701', DATE '2025-01-01' FROM pm.payers WHERE payer_identifier = 'TER01'""", (pid,))
    db.commit()
    primary = paid_clp(c1, coinsurance=Decimal("20.00"))
    store(db, "p.835", file_835([remittance([primary], trace="P")]))
    post_stored_remittances(db, actor=ACTOR)
    sid, s_number = db.execute("SELECT id, claim_number FROM billing.claims WHERE responsibility = 'S'").fetchone()
    set_status(db, sid, "submitted", actor=ACTOR, event_type="submitted")
    db.commit()
    secondary = paid_clp(dict(c1, claim_number=s_number, lines=[dict(ln, lcn=ln["lcn"].replace("P1", "S1"))
                                                                for ln in c1["lines"]]))
    # the secondary pays 10.00 of the 20.00 and leaves 10.00 coinsurance; the rest is the prior payer's
    for ln in secondary.lines:
        ln.adjustments = []
        ln.paid = Decimal("0.00")
    first = secondary.lines[0]
    first.paid = Decimal("10.00")
    first.adjustments = [type(primary.lines[0].adjustments[0])("OA", "23", first.charge - Decimal("20.00")),
                         type(primary.lines[0].adjustments[0])("PR", "2", Decimal("10.00"))]
    second = secondary.lines[1]
    second.adjustments = [type(primary.lines[0].adjustments[0])("OA", "23", second.charge)]
    secondary.status_code, secondary.paid, secondary.patient_responsibility = "2", Decimal("10.00"), Decimal("10.00")
    store(db, "s.835", file_835([remittance([secondary], trace="S")]))
    assert post_stored_remittances(db, actor=ACTOR)["secondary_claims"] == 1
    tid, t_number, t_status = db.execute(
        "SELECT id, claim_number, status FROM billing.claims WHERE responsibility = 'T'").fetchone()
    assert t_number == c1["claim_number"].replace("P1", "T1") and t_status == "ready"
    ops, lines = other_payers_837(db, [tid])[tid]
    assert [(o.payer_responsibility, o.payer_id, o.paid_amount) for o in ops] == [
        ("P", "BHP01", primary.paid), ("S", "SEC01", Decimal("10.00"))]
    assert [len(v) for v in lines.values()] == [2, 2]
    # the patient owes nothing yet: the secondary's 10.00 waits for the tertiary
    assert sum(a for _, a, _ in ledger(db)) == 0
