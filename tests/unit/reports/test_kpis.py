"""Every KPI of the hand-written ledger (ledger.py) against arithmetic done by hand here.

Rates are fractions rounded half-up to 4 places; hours and days to 1 place; money to cents.
The expected values are NOT computed with the report's SQL: each is written out from the
ledger's rows, with the claims that make it up named in the comment.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from include.billing.reports import compute_kpis, load_query, run_metric
from include.billing.reports.queries import available
from tests.unit.reports import ledger
from tests.unit.reports.ledger import AS_OF, PERIOD_END, PERIOD_START

D = Decimal


def rate(n, d) -> Decimal:
    return (D(n) / D(d)).quantize(D("0.0001"), rounding=ROUND_HALF_UP)


def one(value, places="0.1") -> Decimal:
    return D(value).quantize(D(places), rounding=ROUND_HALF_UP)


@pytest.fixture
def kpis(db):
    ledger.build(db)
    return compute_kpis(db, PERIOD_START, PERIOD_END, AS_OF, trend_weeks=3)


def test_volume(kpis):
    # first submissions in March: C1 C2 C3 C4 C5 C6 C6R C7 C8 C14 C15 C18 C19 C20 (C3's resubmission is
    # not a new claim)
    assert kpis["claims_submitted"] == 14
    assert kpis["charges_submitted"] == D(100 + 200 + 150 + 300 + 250 + 400 + 400 + 120 + 90 + 80 + 130 + 90 + 120 + 120)
    assert kpis["submissions"] == 15                       # + C3 resubmitted on 3/6
    # a paid / partially paid / denied event in March: C1 C2 C3 C5 C6 C6R C7 C14 C18 C19 C20 (C12: February)
    assert kpis["claims_processed"] == 11


def test_first_pass_acceptance(kpis):
    # cohort: original claims first submitted in March: C1 C2 C3 C4 C5 C6 C7 C8 C14 C15 C18 C19 C20
    # (C6R is frequency 7; C20, a secondary, is an original claim to its payer)
    # first pass (payer acceptance, 277CA A2, on the first submission): C1 C2 C5 C6 C7 C14 C18 C19 C20
    # not: C3 (999 rejected its first batch), C4 (clearinghouse A1, then the payer's A3: payer-level
    #      rejection), C8 (no answer), C15 (accepted on 4/2, after as_of)
    assert kpis["first_pass_submitted"] == 13
    assert kpis["first_pass_accepted"] == 9
    assert kpis["first_pass_awaiting_response"] == 2
    assert kpis["first_pass_acceptance_rate"] == rate(9, 13) == D("0.6923")
    by_payer = {r["label"]: r for r in kpis["by"]["first_pass_acceptance"]["payer"]}
    # Acme: C1 C2 C5 C7 C8 C14 C15 C19 -> C1 C2 C5 C7 C14 C19; Beta: C3 C4 C6 C18 C20 -> C6 C18 C20
    assert by_payer["Acme Health"]["rate"] == rate(6, 8)
    assert by_payer["Beta Insurance"]["rate"] == rate(3, 5)
    by_provider = {r["label"]: r for r in kpis["by"]["first_pass_acceptance"]["provider"]}
    # Avery: C1 C2 C4 C7 C15 C19 C20 -> C1 C2 C7 C19 C20; Brook: C3 C5 C6 C8 C14 C18 -> C5 C6 C14 C18
    assert by_provider["Avery, Dana (1245319599)"]["rate"] == rate(5, 7)
    assert by_provider["Brook, Sam (1679576722)"]["rate"] == rate(4, 6)


def test_clean_claim_rate(kpis):
    # HFMA CL-1. Entering the edits in March (first move out of 'new'): C1 C2 C3 C4 C5 C6 C6R C7 C8 C9
    # C14 C15 C18 C19 C20 = 15 (C10 C11 C12 C16 C17 went through the edits before March).
    # Not clean: C9 (held by scrubbing - in the denominator), C6R (a person's correction), C15 (a work
    # item, W9, before its submission). Later trouble (C3's 999 rejection, C5/C6 denials) is not this KPI.
    assert kpis["claims_scrubbed"] == 15
    assert kpis["clean_claims"] == 12
    assert kpis["clean_claim_rate"] == rate(12, 15) == D("0.8000")
    by_payer = {r["label"]: r for r in kpis["by"]["clean_claim_rate"]["payer"]}
    # Acme: C1 C2 C5 C7 C8 C14 C15 C19 -> all but C15; Beta: C3 C4 C6 C6R C9 C18 C20 -> C3 C4 C6 C18 C20
    assert (by_payer["Acme Health"]["entered"], by_payer["Acme Health"]["clean"]) == (8, 7)
    assert (by_payer["Beta Insurance"]["entered"], by_payer["Beta Insurance"]["clean"]) == (7, 5)


def test_denials(kpis):
    # claims first adjudicated by an 835 with BPR16 in March: C1 100, C2 200, C6 400 (CLP02 4), C3 150,
    # C5 250 (CLP02 4), C7 120, C14 80, C6R 400, C18 90, C19 120, C20 120 = 11 claims, 2030.
    # denied: C5, C6. Not C18: paid 0 but 75 allowed to the deductible (PR-1): processed, the patient
    # owes - although its status is 'denied'. Not C19/C20: paid something (a line denial is not a claim's).
    assert kpis["claims_adjudicated"] == 11
    assert kpis["claims_denied"] == 2
    assert kpis["denial_rate_count"] == rate(2, 11) == D("0.1818")
    assert kpis["adjudicated_charges"] == D(2030)
    assert kpis["denied_charges"] == D(650)
    assert kpis["denial_rate_dollars"] == rate(650, 2030) == D("0.3202")
    # line level: C19 and C20 have two SVC lines each, the others one line (their CLP) each: 9 + 4 = 13.
    # denied lines: C5 250, C6 400, C19's 36415 20 (CO-97, nothing paid or allowed), C20's 36415 20.
    # C20's 99213 paid 10; its OA-23 (prior payer) is not a denial reason.
    assert (kpis["lines_adjudicated"], kpis["lines_denied"]) == (13, 4)
    assert kpis["line_denial_rate_count"] == rate(4, 13) == D("0.3077")
    assert (kpis["line_charges"], kpis["line_denied_charges"]) == (D(2030), D(250 + 400 + 20 + 20))
    assert kpis["line_denial_rate_dollars"] == rate(690, 2030) == D("0.3399")
    by_payer = {r["label"]: r for r in kpis["by"]["denial_rate"]["payer"]}
    # Acme: C1 C2 C5 C7 C14 C19 -> C5; Beta: C3 C6 C6R C18 C20 -> C6
    assert by_payer["Acme Health"]["rate_count"] == rate(1, 6)
    assert by_payer["Beta Insurance"]["rate_dollars"] == rate(400, 150 + 400 + 400 + 90 + 120)
    assert [(r["carc"], r["claims"], r["amount"]) for r in kpis["top_denial_reasons"]] == [
        ("CO-4", 1, D("400.00")), ("CO-16", 1, D("250.00"))]
    # the description is the code table's (include/billing/codes/carc.csv), the one source of them
    assert kpis["top_denial_reasons"][1]["description"] == "Claim or service lacks information or has submission/billing error(s)"


def test_payment_status_at_as_of(kpis):
    # C15's acceptance on 4/2 is after as_of: it was 'acknowledged' at 3/31
    assert kpis["payment_status"] == {
        "paid": {"claims": 7, "charges": D(100 + 150 + 400 + 110 + 80 + 120 + 120)},  # C1 C3 C6R C12 C14 C19 C20
        "partially_paid": {"claims": 1, "charges": D(200)},                     # C2
        "rejected": {"claims": 1, "charges": D(300)},                           # C4
        "denied": {"claims": 2, "charges": D(250 + 90)},                        # C5 C18
        "replaced": {"claims": 1, "charges": D(400)},                           # C6
        "reversed": {"claims": 1, "charges": D(120)},                           # C7
        "submitted": {"claims": 1, "charges": D(90)},                           # C8
        "held": {"claims": 1, "charges": D(75)},                                # C9
        "pending": {"claims": 1, "charges": D(500)},                            # C10
        "accepted": {"claims": 2, "charges": D(60 + 210)},                      # C11 C16
        "acknowledged": {"claims": 2, "charges": D(130 + 95)},                  # C15 C17
    }


def test_outstanding_balances(kpis):
    # payer A/R: C4 rejected 300, C5 denied under review 250, C7 reversed 120 − (100 − 100), C8 90,
    # C10 500, C11 60, C15 130, C16 210, C17 95. Not: C6 replaced, C9 held, C18 denied with no review
    # open, paid/partially paid claims (C20, the secondary, was paid on 3/31).
    payer_ar = D(300 + 250 + 120 + 90 + 500 + 60 + 130 + 210 + 95)
    # patient: C2 responsibility 30 − payment 10, an entry without a claim 15, C12 25, C18 75
    patient_ar = D("30") - D("10") + D("15") + D("25") + D("75")
    assert kpis["payer_ar"] == payer_ar == D(1755)
    assert kpis["patient_ar"] == patient_ar == D(135)
    assert kpis["total_ar"] == payer_ar + patient_ar
    assert kpis["payer_claims_open"] == 9
    by_payer = {r["label"]: r for r in kpis["by"]["outstanding_balances"]["payer"]}
    assert by_payer["Acme Health"]["payer_ar"] == D(250 + 120 + 90 + 500 + 130 + 95)
    assert by_payer["Acme Health"]["patient_ar"] == D(20 + 25)
    assert by_payer["Beta Insurance"]["payer_ar"] == D(300 + 60 + 210)
    assert by_payer["Beta Insurance"]["patient_ar"] == D(75)
    assert by_payer["No claim"]["patient_ar"] == D(15)


def test_secondary_claims_are_worth_what_the_primary_left(db):
    ids = ledger.build(db)
    # at 3/30 C20 (C19's secondary, charge 120) is accepted and unpaid: worth C19's CLP05, 20 - not 120,
    # and not 120 − 60 (the primary's payment) either, which would keep the primary's CO-45 20
    rows = {r["claim_number"]: r for r in run_metric(db, "claim_detail", as_of=date(2026, 3, 30))}
    c20 = db.execute("SELECT claim_number FROM billing.claims WHERE id = %s", (ids["C20"],)).fetchone()[0]
    assert rows[c20]["payer_balance"] == D("20.00")
    # Beta's payer A/R at 3/30: C4 300, C11 60, C16 210, C20 20 (C8, Acme, is still 'ready' then)
    beta = next(r for r in run_metric(db, "outstanding_balances", as_of=date(2026, 3, 30))
                if r["label"] == "Beta Insurance")
    assert beta["payer_ar"] == D(300 + 60 + 210 + 20)


def test_ar_aging(kpis):
    # payer A/R, age = 2026-03-31 − date of service: C4 26, C5 25, C7 22, C8 1, C15 5 days; C16 44; C10 80;
    # C17 101; C11 150
    assert kpis["ar_aging"] == {"0_30": D(300 + 250 + 120 + 90 + 130), "31_60": D(210), "61_90": D(500),
                                "91_120": D(95), "120_plus": D(60)}
    by_payer = {r["label"]: r for r in kpis["ar_aging_by_payer"]}
    assert by_payer["Acme Health"]["0_30"] == D(250 + 120 + 90 + 130)
    assert by_payer["Acme Health"]["91_120"] == D(95)
    assert by_payer["Beta Insurance"]["120_plus"] == D(60)
    assert by_payer["Beta Insurance"]["total"] == D(570)
    # patient A/R, aged from the final adjudication (835 BPR16 of the visit's last payer; no statements yet):
    # C2 20 from 3/12 (19 days), C12 25 from 2/20 (39), C18 75 from 3/13 (18), the claimless 15 from 3/21 (10)
    assert kpis["patient_ar_aging"] == {"0_30": D(20 + 75 + 15), "31_60": D(25), "61_90": D(0), "91_120": D(0),
                                        "120_plus": D(0)}


def test_patient_aging_runs_from_final_adjudication(db):
    ledger.build(db)
    # at 4/13: C2 from 3/12 -> 32 days, C12 from 2/20 -> 52, C18 from its 835's BPR16 3/13 -> 31, the
    # claimless entry from 3/21 -> 23. (From the date of service C12 would be 62 days old and C18 35; from
    # the day the balance was posted, C18 would be 23.)
    row = next(r for r in run_metric(db, "patient_ar_aging", as_of=date(2026, 4, 13)) if r["dimension"] == "overall")
    assert {b: row[b] for b in ("0_30", "31_60", "61_90", "91_120", "120_plus")} == {
        "0_30": D(15), "31_60": D(20 + 25 + 75), "61_90": D(0), "91_120": D(0), "120_plus": D(0)}


def test_days_in_ar(kpis):
    # charges of original primary claims with DOS 2026-01-01..03-31: every claim but C6R (frequency 7),
    # C20 (secondary), C11 (Nov) and C17 (Dec) -> C1..C6, C7, C8, C9, C10, C12, C14, C15, C16, C18, C19
    charges_90d = D(100 + 200 + 150 + 300 + 250 + 400 + 120 + 90 + 75 + 500 + 110 + 80 + 130 + 210 + 90 + 120)
    assert kpis["charges_90d"] == charges_90d == D(2925)
    average = (charges_90d / 90).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert kpis["average_daily_charges"] == average == D("32.50")
    assert kpis["days_in_ar"] == one(D(1755 + 135) / average) == D("58.2")
    assert kpis["payer_days_in_ar"] == one(D(1755) / average) == D("54.0")
    assert kpis["patient_days_in_ar"] == one(D(135) / average) == D("4.2")


def test_collection_rates(kpis):
    # cohort: primary claims first adjudicated (BPR16) in March and not replaced:
    # C1 C2 C3 C5 C6R C7 C14 C18 C19 (C6 replaced; C20 is C19's secondary: same encounter)
    charges = D(100 + 200 + 150 + 250 + 400 + 120 + 80 + 90 + 120)
    # payer payments on the cohort's visits: C1 80, C2 120, C3 150, C5 0, C6 0 + C6R 300, C7 100 − 100,
    # C14 64, C18 0, C19 60 + C20 10; patient payments: C2 10
    payments = D(80 + 120 + 150 + 0 + 300 + 0 + 64 + 0 + 60 + 10) + D(10)
    # contractual, once per visit (the largest payer level's CO-45): C1 20, C2 50, C6R 100, C7 20 − 20,
    # C14 16, C18 15, C19/C20 visit max(primary 20, secondary 30) = 30 (not 50; C20's OA-23 60 is not
    # a write-down). CO-16 / CO-4 / CO-97 are denials: lost revenue, not contract.
    contractual = D(20 + 50 + 100 + 0 + 16 + 15 + 30)
    assert (kpis["collection_charges"], kpis["collection_payments"], kpis["contractual_adjustments"]) == (
        charges, payments, contractual) == (D(1510), D(794), D(231))
    assert kpis["gross_collection_rate"] == rate(payments, charges) == D("0.5258")
    assert kpis["net_collection_rate"] == rate(payments, charges - contractual) == D("0.6208")


def test_processing_times(kpis):
    pt = kpis["processing_times"]
    # visit completed -> first submitted, hours (original primary claims first submitted in March):
    # C8 12, C14 18, C18 21, C2 22, C6 23, C1 24, C4 24, C5 24, C7 24, C19 24, C3 48, C15 72
    # percentile_cont: median at 0.5·11 = 5.5 -> 24; p90 at 0.9·11 = 9.9 -> 24 + 0.9·(48 − 24)
    assert pt["completed_to_submitted"] == {"claims": 12, "median_hours": one(24),
                                            "p90_hours": one(D(24) + D("0.9") * 24)}
    # first submitted -> first accepted, accepted in March: C14 6, C1 C2 C6 C6R C7 C18 C19 C20 24, C5 36, C3 72
    # median at 0.5·10 = 5 -> 24; p90 at 0.9·10 = 9 -> 36
    assert pt["submitted_to_accepted"] == {"claims": 11, "median_hours": one(24), "p90_hours": one(36)}
    # first submitted -> the 835 payment date (BPR16) of the first payment, whole days × 24, BPR16 in March:
    # C1 3/3 -> 3/10 168, C2 3/3 -> 3/12 216, C3 3/4 -> 3/15 264, C7 3/10 -> 3/18 192, C14 3/11 -> 3/20 216,
    # C6R 3/17 -> 3/25 192, C19 3/17 -> 3/22 120 (posted 3/23), C20 3/24 -> 3/30 144 (posted 3/31)
    # sorted 120 144 168 192 192 216 216 264: median at 3.5 -> 192; p90 at 6.3 -> 216 + 0.3·48
    assert pt["submitted_to_paid"] == {"claims": 8, "median_hours": one(192), "p90_hours": one(D(216) + D("0.3") * 48)}


def test_work_queue_backlog(kpis):
    # open at 2026-04-01 00:00: W2 (3/7 10:00), W3 (3/16 11:00), W5 (3/20 12:00), W6 (3/25 08:00),
    # W8 (3/28, resolved only on 4/1 06:00). Not W1/W4/W9 (resolved), W7 (created 4/1).
    assert kpis["work_queue_open"] == 5
    assert kpis["work_queue_oldest_age_days"] == one(24 + D(14) / 24)          # W2: 24 days 14 hours
    assert kpis["work_queue_median_age_days"] == one(D("11.5"))                # W5: 11 days 12 hours
    by_source = {r["source"]: r["open_items"] for r in kpis["work_queue_by_source"]}
    assert by_source == {"277CA": 1, "denial": 1, "scrubbing": 1, "data_quality": 1, "eligibility": 1}
    assert kpis["denials_awaiting_review"] == 1                                # W3 (C5)


def test_payment_postings(kpis):
    # posted in March: T1..T9, T12 (3/21), T13 (3/31), T14 (3/23) (T10 was February; T11 is held)
    assert kpis["remittances_posted"] == 12
    assert kpis["remittances_held"] == 1
    assert kpis["remittance_claim_payments"] == 11
    assert kpis["remittance_reversals"] == 1                                   # T9 reverses C7
    assert kpis["remittance_total_paid"] == D(80 + 120 + 0 + 150 + 0 + 100 + 64 + 300 - 100 + 0 + 10 + 60)
    by_payer = {r["label"]: r for r in kpis["payment_postings_by_payer"]}
    assert (by_payer["Acme Health"]["remittances"], by_payer["Acme Health"]["total_paid"]) == (
        7, D(80 + 120 + 100 + 64 - 100 + 60))
    assert (by_payer["Beta Insurance"]["remittances"], by_payer["Beta Insurance"]["total_paid"]) == (5, D(460))
    assert by_payer["Beta Insurance"]["held_remittances"] == 1


def test_trends(kpis):
    weeks = [(p["week_start"], p["week_end"], p["first_pass_acceptance_rate"]) for p in kpis["trends"]]
    assert weeks == [
        (date(2026, 3, 11), date(2026, 3, 17), rate(1, 2)),    # C14 accepted 3/11; C19 (3/17) only on 3/18
        (date(2026, 3, 18), date(2026, 3, 24), rate(0, 1)),    # C20 submitted 3/24, accepted 3/25
        (date(2026, 3, 25), date(2026, 3, 31), rate(0, 2)),    # C15, C8: no acceptance by 3/31
    ]
    assert kpis["trends"][-1]["days_in_ar"] == kpis["days_in_ar"]


def test_details_hold_no_phi(db):
    ledger.build(db)
    rows = run_metric(db, "claim_detail", as_of=AS_OF)
    assert {r["claim_number"] for r in rows} >= {"V0000004P1", "V0000002P1"}   # C4 payer A/R, C2 patient balance
    denied = run_metric(db, "denials_awaiting_review", as_of=AS_OF)
    assert [r["claim_number"] for r in denied] == ["V0000005P1"]
    forbidden = {"last_name", "first_name", "birth_date", "member_id", "diagnosis_codes", "mrn", "patient_id"}
    for name in ("claim_detail", "denials_awaiting_review"):
        cols = set(run_metric(db, name, as_of=AS_OF)[0])
        assert not cols & forbidden, name
    assert "Testpatient" not in repr(rows + denied)


def test_empty_ledger_divides_by_nothing(db):
    k = compute_kpis(db, PERIOD_START, PERIOD_END, AS_OF, trend_weeks=1)
    assert k["claims_submitted"] == k["claims_processed"] == 0
    for key in ("first_pass_acceptance_rate", "clean_claim_rate", "denial_rate_count", "denial_rate_dollars",
                "line_denial_rate_count", "line_denial_rate_dollars", "days_in_ar", "payer_days_in_ar",
                "patient_days_in_ar", "gross_collection_rate", "net_collection_rate"):
        assert k[key] is None, key
    assert k["total_ar"] == 0 and k["work_queue_open"] == 0
    assert k["processing_times"]["submitted_to_paid"] == {"claims": 0, "median_hours": None, "p90_hours": None}


def test_load_query_names_the_missing_query():
    assert "first_pass_acceptance" in available()
    assert "%(period_start_ts)s" in load_query("first_pass_acceptance")
    with pytest.raises(LookupError, match="no report query 'nope'"):
        load_query("nope")
