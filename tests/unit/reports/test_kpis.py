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
    # first submissions in March: C1 C2 C3 C4 C5 C6 C6R C7 C8 C14 C15 (C3's resubmission is not a new claim)
    assert kpis["claims_submitted"] == 11
    assert kpis["charges_submitted"] == D(100 + 200 + 150 + 300 + 250 + 400 + 400 + 120 + 90 + 80 + 130)
    assert kpis["submissions"] == 12                       # + C3 resubmitted on 3/6
    # adjudicated in March: C1 C2 C3 C5 C6 C6R C7 C14 (C12 was paid in February)
    assert kpis["claims_processed"] == 8


def test_first_pass_acceptance(kpis):
    # cohort: original claims first submitted in March: C1 C2 C3 C4 C5 C6 C7 C8 C14 C15 (C6R is frequency 7)
    # first pass: C1 C2 C5 C6 C7 C14 (C14's 999 came late and was ignored; its 277CA accepted)
    # not: C3 (999 rejected its first batch, accepted after resubmission), C4 (277CA rejected),
    #      C8 (no answer), C15 (accepted on 4/2, after as_of)
    assert kpis["first_pass_submitted"] == 10
    assert kpis["first_pass_accepted"] == 6
    assert kpis["first_pass_awaiting_response"] == 2
    assert kpis["first_pass_acceptance_rate"] == rate(6, 10)
    by_payer = {r["label"]: r for r in kpis["by"]["first_pass_acceptance"]["payer"]}
    # Acme: C1 C2 C5 C7 C8 C14 C15 -> C1 C2 C5 C7 C14; Beta: C3 C4 C6 -> C6
    assert by_payer["Acme Health"]["rate"] == rate(5, 7)
    assert by_payer["Beta Insurance"]["rate"] == rate(1, 3)
    by_provider = {r["label"]: r for r in kpis["by"]["first_pass_acceptance"]["provider"]}
    # Avery: C1 C2 C4 C7 C15 -> C1 C2 C7; Brook: C3 C5 C6 C8 C14 -> C5 C6 C14
    assert by_provider["Avery, Dana (1245319599)"]["rate"] == rate(3, 5)
    assert by_provider["Brook, Sam (1679576722)"]["rate"] == rate(3, 5)


def test_clean_claim_rate(kpis):
    # adjudicated (8): C1 paid, C2 partially paid, C3 paid, C5 denied, C6 denied, C6R paid, C7 paid, C14 paid
    # clean: C1, C2, C14. Not: C3 (rejected once), C5/C6 (denied), C6R (a replacement), C7 (reversed)
    assert kpis["claims_adjudicated"] == 8
    assert kpis["clean_claims"] == 3
    assert kpis["clean_claim_rate"] == rate(3, 8)


def test_denials(kpis):
    # denied: C5 (250), C6 (400) of 8 adjudicated claims charging 100+200+150+250+400+400+120+80
    assert kpis["claims_denied"] == 2
    assert kpis["denial_rate_count"] == rate(2, 8)
    assert kpis["adjudicated_charges"] == D(1700)
    assert kpis["denied_charges"] == D(650)
    assert kpis["denial_rate_dollars"] == rate(650, 1700)
    assert [(r["carc"], r["claims"], r["amount"]) for r in kpis["top_denial_reasons"]] == [
        ("CO-4", 1, D("400.00")), ("CO-16", 1, D("250.00"))]
    assert kpis["top_denial_reasons"][1]["description"] == "Missing information / billing error"


def test_payment_status_at_as_of(kpis):
    # C15's acceptance on 4/2 is after as_of: it was 'acknowledged' at 3/31
    assert kpis["payment_status"] == {
        "paid": {"claims": 5, "charges": D(100 + 150 + 400 + 110 + 80)},        # C1 C3 C6R C12 C14
        "partially_paid": {"claims": 1, "charges": D(200)},                     # C2
        "rejected": {"claims": 1, "charges": D(300)},                           # C4
        "denied": {"claims": 1, "charges": D(250)},                             # C5
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
    # C10 500, C11 60, C15 130, C16 210, C17 95. Not: C6 replaced, C9 held, paid/partially paid claims.
    payer_ar = D(300 + 250 + 120 + 90 + 500 + 60 + 130 + 210 + 95)
    patient_ar = D("30") - D("10") + D("15")     # C2 responsibility − payment, + an entry without a claim
    assert kpis["payer_ar"] == payer_ar == D(1755)
    assert kpis["patient_ar"] == patient_ar
    assert kpis["total_ar"] == payer_ar + patient_ar
    assert kpis["payer_claims_open"] == 9
    by_payer = {r["label"]: r for r in kpis["by"]["outstanding_balances"]["payer"]}
    assert by_payer["Acme Health"]["payer_ar"] == D(250 + 120 + 90 + 500 + 130 + 95)
    assert by_payer["Acme Health"]["patient_ar"] == D(20)
    assert by_payer["Beta Insurance"]["payer_ar"] == D(300 + 60 + 210)
    assert by_payer["No claim"]["patient_ar"] == D(15)


def test_ar_aging(kpis):
    # age = 2026-03-31 − date of service: C4 26, C5 25, C7 22, C8 1, C15 5 days; C16 44; C10 80; C17 101; C11 150
    assert kpis["ar_aging"] == {"0_30": D(300 + 250 + 120 + 90 + 130), "31_60": D(210), "61_90": D(500),
                                "91_120": D(95), "120_plus": D(60)}
    by_payer = {r["label"]: r for r in kpis["ar_aging_by_payer"]}
    assert by_payer["Acme Health"]["0_30"] == D(250 + 120 + 90 + 130)
    assert by_payer["Acme Health"]["91_120"] == D(95)
    assert by_payer["Beta Insurance"]["120_plus"] == D(60)
    assert by_payer["Beta Insurance"]["total"] == D(570)


def test_days_in_ar(kpis):
    # charges of original primary claims with DOS 2026-01-01..03-31: every claim but C6R (frequency 7),
    # C11 (Nov) and C17 (Dec) -> C1..C6, C7, C8, C9, C10, C12, C14, C15, C16
    charges_90d = D(100 + 200 + 150 + 300 + 250 + 400 + 120 + 90 + 75 + 500 + 110 + 80 + 130 + 210)
    assert kpis["charges_90d"] == charges_90d == D(2715)
    average = (charges_90d / 90).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert kpis["average_daily_charges"] == average == D("30.17")
    assert kpis["days_in_ar"] == one(D(1790) / average) == D("59.3")


def test_collection_rates(kpis):
    # cohort: primary claims adjudicated in March and not replaced: C1 C2 C3 C5 C6R C7 C14 (C6 replaced)
    charges = D(100 + 200 + 150 + 250 + 400 + 120 + 80)
    # payer payments on the cohort's visits: C1 80, C2 120, C3 150, C5 0, C6 0 + C6R 300, C7 100 − 100, C14 64
    # patient payments: C2 10
    payments = D(80 + 120 + 150 + 0 + 300 + 0 + 64) + D(10)
    # contractual (CO-45): C1 20, C2 50, C6R 100, C7 20 − 20, C14 16 (CO-16 / CO-4 are denials, not contract)
    contractual = D(20 + 50 + 100 + 0 + 16)
    assert (kpis["collection_charges"], kpis["collection_payments"], kpis["contractual_adjustments"]) == (
        charges, payments, contractual)
    assert kpis["gross_collection_rate"] == rate(payments, charges) == D("0.5569")
    assert kpis["net_collection_rate"] == rate(payments, charges - contractual) == D("0.6499")


def test_processing_times(kpis):
    pt = kpis["processing_times"]
    # visit completed -> first submitted, hours (original primary claims first submitted in March):
    # C8 12, C14 18, C2 22, C6 23, C1 24, C4 24, C5 24, C7 24, C3 48, C15 72
    # percentile_cont: median = mean of the 5th and 6th = 24; p90 at 0.9·9 = 8.1 -> 48 + 0.1·(72 − 48)
    assert pt["completed_to_submitted"] == {"claims": 10, "median_hours": one(24), "p90_hours": one(D(48) + D("0.1") * 24)}
    # first submitted -> first accepted, accepted in March: C14 6, C1 24, C2 24, C6 24, C6R 24, C7 24, C5 36, C3 72
    # median (24 + 24) / 2; p90 at 0.9·7 = 6.3 -> 36 + 0.3·(72 − 36)
    assert pt["submitted_to_accepted"] == {"claims": 8, "median_hours": one(24), "p90_hours": one(D(36) + D("0.3") * 36)}
    # first submitted -> first paid, paid in March: C1 168, C6R 192, C7 192, C2 216, C14 216, C3 264
    # median (192 + 216) / 2; p90 at 0.9·5 = 4.5 -> 216 + 0.5·(264 − 216)
    assert pt["submitted_to_paid"] == {"claims": 6, "median_hours": one(204), "p90_hours": one(240)}


def test_work_queue_backlog(kpis):
    # open at 2026-04-01 00:00: W2 (3/7 10:00), W3 (3/16 11:00), W5 (3/20 12:00), W6 (3/25 08:00),
    # W8 (3/28, resolved only on 4/1 06:00). Not W1/W4 (resolved), W7 (created 4/1).
    assert kpis["work_queue_open"] == 5
    assert kpis["work_queue_oldest_age_days"] == one(24 + D(14) / 24)          # W2: 24 days 14 hours
    assert kpis["work_queue_median_age_days"] == one(D("11.5"))                # W5: 11 days 12 hours
    by_source = {r["source"]: r["open_items"] for r in kpis["work_queue_by_source"]}
    assert by_source == {"277CA": 1, "denial": 1, "scrubbing": 1, "data_quality": 1, "eligibility": 1}
    assert kpis["denials_awaiting_review"] == 1                                # W3 (C5)


def test_payment_postings(kpis):
    # posted in March: T1..T9 (T10 was February; T11 is held)
    assert kpis["remittances_posted"] == 9
    assert kpis["remittances_held"] == 1
    assert kpis["remittance_claim_payments"] == 8
    assert kpis["remittance_reversals"] == 1                                   # T9 reverses C7
    assert kpis["remittance_total_paid"] == D(80 + 120 + 0 + 150 + 0 + 100 + 64 + 300 - 100)
    by_payer = {r["label"]: r for r in kpis["payment_postings_by_payer"]}
    assert (by_payer["Acme Health"]["remittances"], by_payer["Acme Health"]["total_paid"]) == (6, D(80 + 120 + 100 + 64 - 100))
    assert (by_payer["Beta Insurance"]["remittances"], by_payer["Beta Insurance"]["total_paid"]) == (3, D(450))
    assert by_payer["Beta Insurance"]["held_remittances"] == 1


def test_trends(kpis):
    weeks = [(p["week_start"], p["week_end"], p["first_pass_acceptance_rate"]) for p in kpis["trends"]]
    assert weeks == [
        (date(2026, 3, 11), date(2026, 3, 17), rate(1, 1)),    # C14 first submitted 3/11, accepted 3/11
        (date(2026, 3, 18), date(2026, 3, 24), None),          # no first submission that week
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
                "days_in_ar", "gross_collection_rate", "net_collection_rate"):
        assert k[key] is None, key
    assert k["total_ar"] == 0 and k["work_queue_open"] == 0
    assert k["processing_times"]["submitted_to_paid"] == {"claims": 0, "median_hours": None, "p90_hours": None}


def test_load_query_names_the_missing_query():
    assert "first_pass_acceptance" in available()
    assert "%(period_start_ts)s" in load_query("first_pass_acceptance")
    with pytest.raises(LookupError, match="no report query 'nope'"):
        load_query("nope")
