"""Patient accounts against a real PostgreSQL: payments (PM and lockbox), credit balances and
refunds, statements through the dunning cycle, holds, collections.

Claims are adjudicated by real 835s (tests.unit.posting.factory): each claim has two lines of
100.00; the payer allows 80.00 a line (CO-45 20.00 a line) and the PR amounts on line 1 are what
the patient owes, so with a deductible of 50.00 the account is charge 200.00, insurance paid
110.00, adjustments 40.00, patient responsibility 50.00. Every expected amount below is worked
from those figures by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from include.billing import patient_accounts as pa
from include.billing import statements as st
from include.billing.posting import post_stored_remittances
from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:patient"
D = Decimal


def adjudicate(db, claims_and_pr: list[tuple[dict, dict]], trace: str = "T1") -> None:
    """Post one 835 paying each claim with the given PR amounts on its first line."""
    r = remittance([paid_clp(c, **pr) for c, pr in claims_and_pr], trace=trace)
    store(db, f"{trace}.835", file_835([r]))
    post_stored_remittances(db, actor=ACTOR)
    db.commit()


def key_of(db, patient_id: int) -> str:
    return db.execute("SELECT guarantor_key FROM billing.patient_guarantors WHERE patient_id = %s",
                      (patient_id,)).fetchone()[0]


def desk_payment(db, reference: str, amount: str, day: dt.date, *, patient_id=None, guarantor_id=None,
                 visit_id=None) -> None:
    db.execute("""INSERT INTO pm.patient_payments (reference, guarantor_id, patient_id, visit_id, payment_date,
                                                    amount, method) VALUES (%s, %s, %s, %s, %s, %s, 'check')""",
               (reference, guarantor_id, patient_id, visit_id, day, D(amount)))
    db.commit()
    pa.post_pm_payments(db, actor=ACTOR)


def statements_of(db, key: str) -> list[tuple]:
    return db.execute("""SELECT statement_date, dunning_level, previous_balance, new_charges, payments, amount_due,
                                due_date FROM billing.statements WHERE guarantor_key = %s ORDER BY statement_date""",
                      (key,)).fetchall()


def balance(db, key: str, day: dt.date) -> Decimal:
    return sum((v.balance for v in pa.visit_balances(db, [key], as_of=day) if v.finished), D("0"))


def add_guarantor(db, number: str, email: str | None = None) -> int:
    return db.execute("""INSERT INTO pm.guarantors (guarantor_number, last_name, first_name, address1, city, state,
                                                    zip, email)
                         VALUES (%s, 'ROE', 'RILEY', '9 OAK ST', 'SPRINGFIELD', 'IL', '62701', %s) RETURNING id""",
                      (number, email)).fetchone()[0]


APR1, MAY1, MAY31 = dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 5, 31)


def test_cycle_statement_partial_payment_second_statement_paid_in_full(db):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    assert key == f"P{c1['patient_id']:08d}"               # a patient without a guarantor is their own

    assert st.run_statements(db, APR1, actor=ACTOR)["statements"] == 1
    # first statement: nothing before it, 50.00 new, due 25 days later
    assert statements_of(db, key) == [(APR1, "first", D("0.00"), D("50.00"), D("0.00"), D("50.00"),
                                       dt.date(2026, 4, 26))]
    desk_payment(db, "R-1", "20.00", dt.date(2026, 4, 10), patient_id=c1["patient_id"])
    # two weeks later: within the 30-day cycle, no statement
    out = st.run_statements(db, dt.date(2026, 4, 15), actor=ACTOR)
    assert out["statements"] == 0 and out["not_due_yet"] == 1
    st.run_statements(db, MAY1, actor=ACTOR)
    # second: previous 50.00, paid 20.00, nothing new, 30.00 due
    assert statements_of(db, key)[1] == (MAY1, "second", D("50.00"), D("0.00"), D("20.00"), D("30.00"),
                                         dt.date(2026, 5, 26))
    desk_payment(db, "R-2", "30.00", dt.date(2026, 5, 10), patient_id=c1["patient_id"])
    assert st.run_statements(db, MAY31, actor=ACTOR)["statements"] == 0
    assert st.run_statements(db, dt.date(2026, 7, 1), actor=ACTOR)["statements"] == 0
    assert len(statements_of(db, key)) == 2
    (acct,) = pa.visit_balances(db, [key])
    assert (acct.patient_responsibility, acct.patient_paid, acct.balance) == (D("50.00"), D("50.00"), D("0.00"))
    # the payments are on the ledger against the claim: the accounts view sees them
    from include.billing.accounts import load_accounts

    (a,) = load_accounts(db)
    assert a.to_dict()["patient_paid"] == "50.00" and a.to_dict()["patient_balance"] == "0.00"
    assert a.to_dict()["last_statement_date"] == "2026-05-01"


def test_guarantor_with_two_dependents_on_one_statement_and_pending_visit_not_billed(db):
    c1, c2, c3, c4 = seed_practice(db, 4)
    gid = add_guarantor(db, "G100", "riley@example.org")
    db.execute("UPDATE pm.patients SET guarantor_id = %s, guarantor_relationship = 'parent' WHERE id = ANY(%s)",
               (gid, [c1["patient_id"], c2["patient_id"]]))
    # c3's visit becomes dependent 2's second visit; its insurance has not answered
    db.execute("UPDATE pm.visits SET patient_id = %s WHERE id = (SELECT visit_id FROM billing.claims WHERE id = %s)",
               (c2["patient_id"], c3["id"]))
    db.commit()
    # c1: deductible 50.00; c2: copay 10.00 + coinsurance 5.00 = 15.00; c3 pending;
    # c4 is another patient whose only visit is pending: nothing finished, no statement
    adjudicate(db, [(c1, {"deductible": D("50.00")}), (c2, {"copay": D("10.00"), "coinsurance": D("5.00")})])
    out = st.run_statements(db, APR1, actor=ACTOR)
    assert out["statements"] == 1 and out["insurance_pending_lines"] == 1
    assert statements_of(db, key_of(db, c4["patient_id"])) == []
    assert statements_of(db, "G100") == [(APR1, "first", D("0.00"), D("65.00"), D("0.00"), D("65.00"),
                                          dt.date(2026, 4, 26))]
    lines = db.execute("""SELECT v.visit_number, sl.charges, sl.insurance_paid, sl.adjustments, sl.balance,
                                 sl.insurance_pending
                            FROM billing.statement_lines sl JOIN pm.visits v ON v.id = sl.visit_id
                           ORDER BY sl.line_number""").fetchall()
    # paid = 160.00 allowed − PR: c1 110.00, c2 145.00; adjustments 40.00 each
    assert sorted(lines) == [("V0000001", D("200.00"), D("110.00"), D("40.00"), D("50.00"), False),
                             ("V0000002", D("200.00"), D("145.00"), D("40.00"), D("15.00"), False),
                             ("V0000003", D("200.00"), D("0.00"), D("0.00"), D("0.00"), True)]
    # a notice is queued: the guarantor has an e-mail
    assert db.execute("SELECT count(*) FROM billing.statement_notices").fetchone()[0] == 1


def test_overpayment_becomes_a_credit_balance_with_a_refund_item(db):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    out = pa.post_payment(db, pa.Payment("lockbox", "LB-9", key, APR1, D("80.00"), "check"), actor=ACTOR)
    db.commit()
    # 50.00 to the visit, 30.00 left over
    assert (out["applied"], out["credit"]) == ("50.00", "30.00")
    assert pa.post_payment(db, pa.Payment("lockbox", "LB-9", key, APR1, D("80.00"), "check"), actor=ACTOR) is None
    credit_id, amount, state, item = db.execute(
        "SELECT id, amount, state, work_item_id FROM billing.credit_balances").fetchone()
    assert (amount, state) == (D("30.00"), "open")
    reason, wstate = db.execute("SELECT reason_code, state FROM billing.work_queue WHERE id = %s",
                                (item,)).fetchone()
    assert (reason, wstate) == ("PATIENT_REFUND", "open")
    # the ledger shows exactly 50.00 paid; the balance is 0, never negative
    assert db.execute("SELECT sum(amount) FROM billing.patient_ledger WHERE entry_type = 'patient_payment'"
                      ).fetchone()[0] == D("-50.00")
    assert balance(db, key, APR1) == D("0.00")
    assert pa.record_refund(db, credit_id, method="check", reference="CHK-77", refunded_on=dt.date(2026, 4, 5),
                            actor=ACTOR) is not None
    assert pa.record_refund(db, credit_id, method="check", reference="CHK-77", refunded_on=dt.date(2026, 4, 5),
                            actor=ACTOR) is None
    db.commit()
    assert db.execute("SELECT state FROM billing.credit_balances").fetchone()[0] == "refunded"
    assert db.execute("SELECT state FROM billing.work_queue WHERE id = %s", (item,)).fetchone()[0] == "resolved"
    assert db.execute("SELECT amount FROM billing.patient_refunds").fetchone()[0] == D("30.00")
    # and no statement for a settled account
    assert st.run_statements(db, APR1, actor=ACTOR)["statements"] == 0


def test_payment_goes_to_the_named_visit_then_the_oldest(db):
    c1, c2 = seed_practice(db, 2)
    db.execute("UPDATE pm.visits SET patient_id = %s, date_of_service = DATE '2026-02-01' WHERE id = "
               "(SELECT visit_id FROM billing.claims WHERE id = %s)", (c1["patient_id"], c2["id"]))
    db.commit()
    adjudicate(db, [(c1, {"deductible": D("50.00")}), (c2, {"copay": D("20.00")})])
    key = key_of(db, c1["patient_id"])
    v1 = db.execute("SELECT visit_id FROM billing.claims WHERE id = %s", (c1["id"],)).fetchone()[0]
    # 60.00 naming visit 1 (50.00 due): 50.00 there, 10.00 to the other (older) visit
    pa.post_payment(db, pa.Payment("pm", "R-7", key, APR1, D("60.00"), "card", v1), actor=ACTOR)
    # 5.00 naming nothing: the oldest open balance (visit 2, Feb 1)
    pa.post_payment(db, pa.Payment("pm", "R-8", key, APR1, D("5.00"), "card"), actor=ACTOR)
    db.commit()
    got = {v.visit_number: (v.patient_paid, v.balance) for v in pa.visit_balances(db, [key])}
    assert got == {"V0000001": (D("50.00"), D("0.00")), "V0000002": (D("15.00"), D("5.00"))}


def test_time_of_service_copay_is_held_on_its_visit_until_insurance_finishes(db):
    (c1,) = seed_practice(db, 1)
    v1 = db.execute("SELECT visit_id FROM billing.claims WHERE id = %s", (c1["id"],)).fetchone()[0]
    desk_payment(db, "DESK-1", "10.00", dt.date(2026, 3, 2), visit_id=v1)
    assert db.execute("SELECT count(*) FROM billing.credit_balances").fetchone()[0] == 0
    adjudicate(db, [(c1, {"copay": D("10.00"), "deductible": D("30.00")})])
    key = key_of(db, c1["patient_id"])
    assert balance(db, key, APR1) == D("30.00")                  # 40.00 owed − 10.00 paid at the desk
    st.run_statements(db, APR1, actor=ACTOR)
    assert statements_of(db, key)[0][2:6] == (D("0.00"), D("40.00"), D("10.00"), D("30.00"))


def test_desk_copay_above_the_final_patient_share_is_a_credit_with_a_refund_item(db):
    (c1,) = seed_practice(db, 1)
    v1 = db.execute("SELECT visit_id FROM billing.claims WHERE id = %s", (c1["id"],)).fetchone()[0]
    desk_payment(db, "DESK-1", "25.00", dt.date(2026, 3, 2), visit_id=v1)
    adjudicate(db, [(c1, {"copay": D("10.00")})])
    key = key_of(db, c1["patient_id"])
    out = st.run_statements(db, APR1, actor=ACTOR)
    st.run_statements(db, dt.date(2026, 4, 2), actor=ACTOR)
    # 10.00 owed, 25.00 paid: a 15.00 credit, one refund item, no statement
    assert (out["statements"], out["credits"]) == (0, 1)
    assert db.execute("SELECT reason_code, details->>'credit' FROM billing.work_queue").fetchall() == [
        ("PATIENT_REFUND", "15.00")]
    assert statements_of(db, key) == []


def test_self_pay_visit_is_billed_at_its_charges(db):
    seed_practice(db, 1)
    pid = db.execute("SELECT patient_id FROM pm.visits").fetchone()[0]
    bp = db.execute("SELECT id FROM pm.billing_providers").fetchone()[0]
    vid = db.execute("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, place_of_service,
                                               date_of_service, status, completed_at)
                        VALUES ('V0000099', %s, %s, '11', DATE '2026-03-05', 'completed', now()) RETURNING id""",
                     (pid, bp)).fetchone()[0]
    db.execute("INSERT INTO pm.charges (visit_id, line_number, procedure_code, amount) VALUES "
               "(%s, 1, '99213', 120.00), (%s, 2, '36415', 15.00)", (vid, vid))
    db.execute("INSERT INTO billing.skipped_visits (visit_id, reason, actor) VALUES (%s, 'self_pay', 'test')",
               (vid,))
    db.commit()
    st.run_statements(db, APR1, actor=ACTOR)
    st.run_statements(db, APR1, actor=ACTOR)
    key = key_of(db, pid)
    # 120.00 + 15.00, billed once; the claim visit is still with its payer (insurance pending)
    assert statements_of(db, key)[0][3:6] == (D("135.00"), D("0.00"), D("135.00"))
    assert db.execute("SELECT count(*), sum(amount) FROM billing.patient_ledger WHERE category = 'self_pay'"
                      ).fetchone() == (1, D("135.00"))


def test_hold_stops_statements_until_released(db):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    assert pa.place_statement_hold(db, key, "dispute", actor="ui:alice") is not None
    assert pa.place_statement_hold(db, key, "dispute", actor="ui:alice") is None
    db.commit()
    assert st.run_statements(db, APR1, actor=ACTOR) == {"statements": 0, "held": 1, "collections": 0,
                                                         "not_due_yet": 0, "insurance_pending_lines": 0,
                                                         "credits": 0}
    pa.release_statement_hold(db, key, actor="ui:alice")
    db.commit()
    assert st.run_statements(db, dt.date(2026, 4, 2), actor=ACTOR)["statements"] == 1
    events = [r[0] for r in db.execute("SELECT event_type FROM billing.guarantor_events WHERE guarantor_key = %s "
                                       "ORDER BY id", (key,)).fetchall()]
    assert events == ["statement_hold_placed", "statement_hold_released", "statement"]


def test_first_second_final_then_collections_and_nothing_more(db):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    days = [APR1 + dt.timedelta(days=30 * i) for i in range(6)]
    for day in days:
        st.run_statements(db, day, actor=ACTOR)
    assert [(s[0], s[1], s[5]) for s in statements_of(db, key)] == [
        (days[0], "first", D("50.00")), (days[1], "second", D("50.00")), (days[2], "final", D("50.00"))]
    items = db.execute("SELECT reason_code, details FROM billing.work_queue WHERE reason_code = 'PATIENT_COLLECTIONS'"
                       ).fetchall()
    assert len(items) == 1 and items[0][1]["guarantor_key"] == key


LOCKBOX = (
    "reference,account_number,visit_number,payment_date,amount,method\n"
    "LB-1,{key},,2026-04-02,20.00,check\n"                 # line 2: good
    "LB-2,{key},V0000001,2026-04-02,12.345,check\n"        # line 3: a fraction of a cent
    "LB-3,NOBODY,,2026-04-02,5.00,check\n"                 # line 4: unknown account
    "LB-4,{key},,2027-01-01,5.00,check\n"                  # line 5: in the future
    "LB-1,{key},,2026-04-02,5.00,check\n"                  # line 6: reference repeats line 2
    "LB-5,{key},V0000001,2026-04-03,10.00,Card\n"          # line 7: good (method case-insensitive)
    "LB-6,{key},,2026-04-03,abc,bitcoin\n"                 # line 8: two reasons
    "LB-7,{key}\n"                                         # line 9: too few columns
)


def test_lockbox_file_with_bad_rows_posts_the_good_ones_and_reports_each_bad_row(db, tmp_path):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    folder = tmp_path / "lockbox"
    folder.mkdir()
    (folder / "lockbox_20260403.csv").write_text(LOCKBOX.format(key=key))
    out = pa.import_payments(db, actor=ACTOR, today=dt.date(2026, 4, 3), lockbox_folder=folder)
    assert out["folder"] == {"files_seen": 1, "files_stored": 1}
    assert out["lockbox"]["rows_posted"] == 2 and out["lockbox"]["rows_rejected"] == 6
    assert (folder / "done" / "lockbox_20260403.csv").exists()
    state, posted, errors = db.execute("SELECT state, rows_posted, errors FROM billing.lockbox_files").fetchone()
    assert (state, posted) == ("applied_with_errors", 2)
    assert errors == [
        {"line": 3, "reason": "amount has a fraction of a cent"},
        {"line": 4, "reason": "account_number is not a known guarantor"},
        {"line": 5, "reason": "payment_date is in the future"},
        {"line": 6, "reason": "reference repeats line 2"},
        {"line": 8, "reason": "amount is not a number; method must be one of cash, check, card, ach, other"},
        {"line": 9, "reason": "2 columns, expected 6"},
    ]
    explanation, details = db.execute("SELECT explanation, details FROM billing.work_queue "
                                      "WHERE reason_code = 'LOCKBOX_BAD_ROWS'").fetchone()
    assert "lockbox_20260403.csv" in explanation and "line(s) 3, 4, 5, 6, 8, 9" in explanation
    assert details["file_name"] == "lockbox_20260403.csv"
    # 20.00 + 10.00 posted: 50.00 − 30.00 = 20.00 left
    assert balance(db, key, dt.date(2026, 4, 3)) == D("20.00")
    # the same file again is stored once and posts nothing twice
    (folder / "again.csv").write_text(LOCKBOX.format(key=key))
    again = pa.import_payments(db, actor=ACTOR, today=dt.date(2026, 4, 3), lockbox_folder=folder)
    assert again["folder"] == {"files_seen": 1, "files_stored": 0} and again["lockbox"]["files"] == 0
    assert db.execute("SELECT count(*) FROM billing.patient_payments").fetchone()[0] == 2


def test_lockbox_file_with_a_wrong_header_is_rejected_whole(db):
    seed_practice(db, 1)
    pa.store_lockbox_file(db, "x.csv", b"ref,amount\nA,1.00\n", origin="test")
    db.commit()
    out = pa.apply_lockbox_files(db, actor=ACTOR, today=APR1)
    assert out["rows_posted"] == 0
    state, errors = db.execute("SELECT state, errors FROM billing.lockbox_files").fetchone()
    assert state == "rejected" and errors[0]["line"] == 1 and "header" in errors[0]["reason"]


@pytest.mark.parametrize("text,reason", [("0.00", "amount must be greater than zero"),
                                         ("-5", "amount must be greater than zero"),
                                         ("1e3", None), ("NaN", "amount is not a number"),
                                         ("10000000000.00", "amount is too large")])
def test_amount_rules(text, reason):
    value, why = pa._parse_amount(text)
    assert why == reason
    if reason is None:
        assert value == D("1000.00")


def test_no_phi_in_work_items_and_events(db):
    c1, c2 = seed_practice(db, 2)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    pa.post_payment(db, pa.Payment("pm", "R-1", key, APR1, D("70.00"), "card"), actor=ACTOR)
    db.commit()
    for day in (APR1, MAY1, MAY31, dt.date(2026, 7, 1)):
        st.run_statements(db, day, actor=ACTOR)
    text = json.dumps(db.execute("SELECT explanation, details FROM billing.work_queue").fetchall()
                      + db.execute("SELECT detail FROM billing.guarantor_events").fetchall())
    for name in ("DOE", "PAT1", "PAT2", "1 ELM"):
        assert name not in text


def test_patient_ar_aging_by_statement_date_and_collection_rate(db):
    from include.billing.reports.patient_ar import patient_ar_aging, patient_collection_rate

    c1, c2, c3 = seed_practice(db, 3)
    adjudicate(db, [(c1, {"deductible": D("50.00")}), (c2, {"copay": D("20.00")}),
                    (c3, {"coinsurance": D("30.00")})])
    st.run_statements(db, APR1, actor=ACTOR)                  # all three billed on April 1
    k1, k2 = key_of(db, c1["patient_id"]), key_of(db, c2["patient_id"])
    desk_payment(db, "R-1", "20.00", dt.date(2026, 4, 20), patient_id=c2["patient_id"])   # c2 paid in full
    desk_payment(db, "R-2", "10.00", dt.date(2026, 5, 5), patient_id=c1["patient_id"])    # c1 40.00 left
    aging = patient_ar_aging(db, dt.date(2026, 5, 16))        # 45 days after April 1
    # open: c1 40.00 and c3 30.00, both first billed April 1: 31-60
    assert aging["buckets"]["31-60"] == {"visits": 2, "balance": D("70.00")}
    assert aging["total"] == D("70.00") and aging["buckets"]["0-30"]["visits"] == 0
    assert patient_ar_aging(db, dt.date(2026, 8, 1))["buckets"]["120+"]["balance"] == D("70.00")
    # April: billed 50 + 20 + 30 = 100.00, collected 20.00 -> 0.2000
    april = patient_collection_rate(db, APR1, dt.date(2026, 4, 30))
    assert (april["collected"], april["billed"], april["rate"], april["statements_sent"]) == (
        D("20.00"), D("100.00"), D("0.2000"), 3)
    # May: nothing newly billed -> no rate; 10.00 collected
    may = patient_collection_rate(db, MAY1, MAY31)
    assert (may["collected"], may["billed"], may["rate"]) == (D("10.00"), D("0.00"), None)
    assert k1 != k2
    # the billing report carries the same figures for its period (April)
    from include.billing.reports.metrics import compute_kpis

    kpis = compute_kpis(db, APR1, dt.date(2026, 4, 30), dt.date(2026, 4, 30), trend_weeks=0, point_in_time=False)
    assert (kpis["statements_sent"], kpis["patient_payments_collected"], kpis["patient_charges_billed"],
            kpis["patient_collection_rate"]) == (3, D("20.00"), D("100.00"), D("0.2000"))


def test_guarantor_account_for_the_ui(db):
    (c1,) = seed_practice(db, 1)
    adjudicate(db, [(c1, {"deductible": D("50.00")})])
    key = key_of(db, c1["patient_id"])
    st.run_statements(db, APR1, actor=ACTOR)
    pa.post_payment(db, pa.Payment("lockbox", "LB-1", key, dt.date(2026, 4, 9), D("60.00"), "check"), actor=ACTOR)
    pa.place_statement_hold(db, key, "dispute", actor="ui:alice")
    db.commit()
    acct = pa.guarantor_account(db, key)
    # 50.00 owed, 60.00 paid: 50.00 applied, 10.00 credit; balance 0
    assert acct["balance_due"] == D("0.00")
    assert [(s["dunning_level"], s["amount_due"]) for s in acct["statements"]] == [("first", D("50.00"))]
    assert [(p["reference"], p["amount"], p["applied"]) for p in acct["payments"]] == [
        ("LB-1", D("60.00"), D("50.00"))]
    assert [(c["amount"], c["state"]) for c in acct["credits"]] == [(D("10.00"), "open")]
    assert acct["hold"]["reason"] == "dispute"
    assert [e["event_type"] for e in acct["events"]] == ["statement_hold_placed", "credit_balance", "statement"]


def test_guarantor_data_quality(db):
    c1, c2, c3 = seed_practice(db, 3)                       # patients born 1980-01-01: adults
    g_ok = add_guarantor(db, "G1", "riley@example.org")
    g_bad = add_guarantor(db, "G2", "riley at example")
    db.execute("UPDATE pm.guarantors SET zip = '6270' WHERE id = %s", (g_bad,))
    db.execute("UPDATE pm.patients SET birth_date = DATE '2015-06-01' WHERE id = %s", (c1["patient_id"],))
    db.execute("UPDATE pm.patients SET guarantor_id = %s WHERE id = %s", (g_ok, c2["patient_id"]))  # still 'self'
    db.execute("UPDATE pm.patients SET guarantor_id = %s, guarantor_relationship = 'parent' WHERE id = %s",
               (g_bad, c3["patient_id"]))
    db.commit()
    counts = pa.check_guarantors(db, today=APR1)
    pa.check_guarantors(db, today=APR1)
    assert counts == {"DQ_GUARANTOR_MINOR": 1, "DQ_GUARANTOR_ADDRESS": 1, "DQ_GUARANTOR_EMAIL": 1,
                      "DQ_GUARANTOR_RELATIONSHIP": 1}
    keys = [r[0] for r in db.execute("SELECT dedupe_key FROM billing.work_queue ORDER BY dedupe_key").fetchall()]
    assert keys == ["DQ_GUARANTOR_ADDRESS:guarantor:G2", "DQ_GUARANTOR_EMAIL:guarantor:G2",
                    f"DQ_GUARANTOR_MINOR:patient:{c1['patient_id']}",
                    f"DQ_GUARANTOR_RELATIONSHIP:patient:{c2['patient_id']}"]
