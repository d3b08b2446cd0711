"""The payer's money as pure functions: balancing, cost sharing, secondary payment, reversals."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from include.sandbox import adjudication as adj
from include.sandbox.roster import Member
from include.sandbox.scenario import PayerTerms, Scenario

D = Decimal
TERMS = PayerTerms(D(100), (14, 14), "ACH")            # pays the Medicare table as it is
money = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


def member(copay=D(0), coins=D("0.2"), deductible=D(500), met=D(0), oop=D(6000)):
    return Member("P1", "M1", "L", "F", None, "U", None, "active", dt.date(2025, 1, 1), None,
                  copay, coins, deductible, met, oop)


def claim(charges, cid="V0000001P1", auth="A1", primary_paid=None, primary_pr=D(0), codes=None, primary_cfi=None):
    codes = codes or ["99213"] * len(charges)
    lines = [adj.LineIn(f"{cid}L{i}", code, D(c), service_date=dt.date(2026, 2, 1))
             for i, (c, code) in enumerate(zip(charges, codes), 1)]
    return adj.ClaimIn(cid, "P1", "PAYER", "M1", "L", "F", "L", "M1", sum((ln.charge for ln in lines), D(0)),
                       dt.date(2026, 2, 10), "1234567893", "CLINIC", lines, prior_authorization=auth,
                       responsibility="S" if primary_paid is not None else "P", primary_paid=primary_paid,
                       primary_patient_responsibility=primary_pr, primary_filing_indicator=primary_cfi)


def cas(line):
    return {(a.group, a.reason): a.amount for a in line.adjustments}


def run(c, m, pct, kind, scenario=None, acc=None):
    sc = scenario or Scenario()
    plan = adj.Plan.for_member(kind, m, sc)
    acc = acc or adj.Accumulator.for_member(m, plan)
    return adj.adjudicate(c, m, PayerTerms(D(pct), (14, 14), "ACH"), sc, acc, kind=kind)


def test_commercial_office_visit_copay_bypasses_the_deductible_lab_does_not():
    # 99213 (Medicare table 89.74) and 80053 (CLFS 10.56) at 130 %; $30 copay, 20 % coinsurance,
    # $500 deductible of which $490 is met.
    # 99213: allowed = min(140.00, 89.74 x 1.30 = 116.662 -> 116.66) = 116.66; office E/M with a copay:
    #        PR-3 30.00, no deductible, no coinsurance; paid 116.66 - 30.00 = 86.66; CO-45 140.00 - 116.66 = 23.34
    # 80053: allowed = min(45.00, 10.56 x 1.30 = 13.728 -> 13.73) = 13.73; deductible left 10.00 -> PR-1 10.00;
    #        coinsurance 20 % of 3.73 = 0.746 -> PR-2 0.75; paid 13.73 - 10.00 - 0.75 = 2.98; CO-45 31.27
    m = member(copay=D(30), deductible=D(500), met=D(490))
    r = run(claim(["140.00", "45.00"], codes=["99213", "80053"]), m, 130, "commercial")
    em, lab = r.payment.lines
    assert em.allowed_amount == D("116.66") and em.paid == D("86.66")
    assert cas(em) == {("CO", "45"): D("23.34"), ("PR", "3"): D("30.00")}
    assert lab.allowed_amount == D("13.73") and lab.paid == D("2.98")
    assert cas(lab) == {("CO", "45"): D("31.27"), ("PR", "1"): D("10.00"), ("PR", "2"): D("0.75")}
    assert r.payment.paid == D("89.64") and r.payment.patient_responsibility == D("40.75")
    # deductible now met; out of pocket 490 + 30 + 10 + 0.75
    assert r.accumulator == adj.Accumulator(D(500), D("530.75"))
    assert adj.balance_errors(r.payment) == []


def test_commercial_without_copay_deductible_then_coinsurance():
    # 99214 at 140 %: allowed = min(205.00, 126.73 x 1.40 = 177.422 -> 177.42); deductible left 100.00 -> PR-1;
    # 30 % of 77.42 = 23.226 -> PR-2 23.23; paid 177.42 - 100.00 - 23.23 = 54.19; CO-45 205.00 - 177.42 = 27.58
    r = run(claim(["205.00"], codes=["99214"]), member(coins=D("0.3"), deductible=D(1000), met=D(900)), 140,
            "commercial")
    ln = r.payment.lines[0]
    assert (ln.allowed_amount, ln.paid) == (D("177.42"), D("54.19"))
    assert cas(ln) == {("CO", "45"): D("27.58"), ("PR", "1"): D("100.00"), ("PR", "2"): D("23.23")}


def test_in_network_preventive_and_vaccines_cost_the_member_nothing():
    # ACA: 99396, the flu vaccine and its administration at $0 even with nothing of a $2,000 deductible met.
    # at 125 %: 99396 135.82 -> 169.775 -> 169.78 (CO-45 240.00 - 169.78 = 70.22);
    #           90686 21.79 -> 27.2375 -> 27.24 (CO-45 17.76); 90471 20.90 -> 26.125 -> 26.13 (CO-45 3.87)
    m = member(copay=D(40), deductible=D(2000), met=D(0))
    r = run(claim(["240.00", "45.00", "30.00"], codes=["99396", "90686", "90471"]), m, 125, "commercial")
    assert [ln.paid for ln in r.payment.lines] == [D("169.78"), D("27.24"), D("26.13")]
    assert [cas(ln) for ln in r.payment.lines] == [{("CO", "45"): D("70.22")}, {("CO", "45"): D("17.76")},
                                                   {("CO", "45"): D("3.87")}]
    assert r.payment.patient_responsibility == 0 and r.accumulator == adj.Accumulator(D(0), D(0))


def medicare_claim(cid="V0000002P1"):
    return claim(["205.00", "30.00", "45.00", "15.00"], cid=cid, codes=["99214", "G0008", "90686", "36415"])


def test_medicare_part_b_deductible_then_20_percent_lab_and_vaccines_free():
    # Part B deductible 283.00 (2026), 200.00 met -> 83.00 left.
    # 99214: allowed 126.73; PR-1 83.00; 20 % of 43.73 = 8.746 -> PR-2 8.75; paid 34.98; CO-45 78.27
    # G0008: allowed = min(30.00 charge, 33.59) = 30.00, paid in full (no deductible, no coinsurance)
    # 90686: allowed 21.79, paid 21.79, CO-45 23.21;  36415 (CLFS): allowed 3.00, paid 3.00, CO-45 12.00
    m = member(deductible=D(283), met=D(200))
    r = run(medicare_claim(), m, 100, "medicare")
    em, admin, flu, draw = r.payment.lines
    assert cas(em) == {("CO", "45"): D("78.27"), ("PR", "1"): D("83.00"), ("PR", "2"): D("8.75")}
    assert em.paid == D("34.98")
    assert (admin.paid, cas(admin)) == (D("30.00"), {})
    assert (flu.paid, cas(flu)) == (D("21.79"), {("CO", "45"): D("23.21")})
    assert (draw.paid, cas(draw)) == (D("3.00"), {("CO", "45"): D("12.00")})
    assert r.payment.paid == D("89.77") and r.payment.patient_responsibility == D("91.75")


def test_medicare_deductible_is_a_setting():
    # 2025's 257.00 with 200.00 met: PR-1 57.00; 20 % of (126.73 - 57.00 = 69.73) = 13.946 -> 13.95; paid 55.78
    r = run(medicare_claim(), member(deductible=D(283), met=D(200)), 100, "medicare",
            Scenario(medicare_part_b_deductible=D("257.00")))
    assert cas(r.payment.lines[0])[("PR", "1")] == D("57.00") and r.payment.lines[0].paid == D("55.78")


def test_medicaid_pays_its_fee_schedule_without_cost_sharing():
    # 72 % of Medicare: 89.74 x 0.72 = 64.6128 -> 64.61; CO-45 140.00 - 64.61 = 75.39
    r = run(claim(["140.00"]), member(copay=D(25), deductible=D(500)), 72, "medicaid")
    assert r.payment.paid == D("64.61") and cas(r.payment.lines[0]) == {("CO", "45"): D("75.39")}


def medicare_primary_line(cid="V0000003P2"):
    """The 99214 line of the Medicare example above as a secondary payer sees it (2430)."""
    c = claim(["205.00"], cid=cid, codes=["99214"], primary_paid=D("34.98"), primary_pr=D("91.75"),
              primary_cfi="MB")
    c.lines[0].primary_paid = D("34.98")
    c.lines[0].primary_adjustments = [["CO", "45", D("78.27")], ["PR", "1", D("83.00")], ["PR", "2", D("8.75")]]
    return c


def test_medigap_pays_the_part_b_coinsurance_and_the_deductible_only_when_covered():
    # plan G: pays PR-2 8.75; the deductible stays with the member (PR-1 83.00);
    # OA-23 = 205.00 - 91.75 (what Medicare left) = 113.25; 205.00 - 8.75 = 196.25 = 113.25 + 83.00
    g = adj.adjudicate(medicare_primary_line(), None, PayerTerms(D(125)), Scenario(), adj.Accumulator(D(0)),
                       kind="commercial")
    assert g.payment.status_code == "2" and g.payment.paid == D("8.75")
    assert cas(g.payment.lines[0]) == {("OA", "23"): D("113.25"), ("PR", "1"): D("83.00")}
    # plan F covers the Part B deductible: pays 91.75, the member owes nothing
    f = adj.adjudicate(medicare_primary_line(), None, PayerTerms(D(125), medigap_covers_part_b_deductible=True),
                       Scenario(), adj.Accumulator(D(0)), kind="commercial")
    assert f.payment.paid == D("91.75") and f.payment.patient_responsibility == 0
    assert cas(f.payment.lines[0]) == {("OA", "23"): D("113.25")}


def test_medicaid_secondary_pays_up_to_its_fee_schedule_the_rest_is_written_off():
    # Medicaid allowed 126.73 x 0.72 = 91.2456 -> 91.25; less Medicare's 34.98 = 56.27 (< 91.75 left) -> paid 56.27;
    # taken from PR-2 8.75 then PR-1 (47.52 of 83.00): 35.48 is not billable to the member -> CO-45 35.48;
    # 205.00 - 56.27 = 148.73 = OA-23 113.25 + CO-45 35.48
    r = adj.adjudicate(medicare_primary_line(), None, PayerTerms(D(72)), Scenario(), adj.Accumulator(D(0)),
                       kind="medicaid")
    assert r.payment.paid == D("56.27") and r.payment.patient_responsibility == 0
    assert cas(r.payment.lines[0]) == {("OA", "23"): D("113.25"), ("CO", "45"): D("35.48")}


def test_commercial_secondary_pays_up_to_its_allowed_less_the_primary_payment():
    # primary paid 86.66 on a 140.00 99213 and left the $30 copay (PR-3);
    # secondary at 120 %: 89.74 x 1.2 = 107.688 -> 107.69; 107.69 - 86.66 = 21.03 < 30.00 -> paid 21.03;
    # PR-3 8.97 stays with the member; OA-23 = 140.00 - 30.00 = 110.00
    c = claim(["140.00"], cid="V0000004P2", primary_paid=D("86.66"), primary_pr=D("30.00"), primary_cfi="CI")
    c.lines[0].primary_paid = D("86.66")
    c.lines[0].primary_adjustments = [["CO", "45", D("23.34")], ["PR", "3", D("30.00")]]
    r = adj.adjudicate(c, None, PayerTerms(D(120)), Scenario(), adj.Accumulator(D(0)), kind="commercial")
    assert r.payment.paid == D("21.03")
    assert cas(r.payment.lines[0]) == {("OA", "23"): D("110.00"), ("PR", "3"): D("8.97")}


def test_secondary_with_only_claim_level_cob_spreads_it_by_charge():
    # 2320 only: paid 90.00 and PR 30.00 over charges 100/50 -> 60/30 paid, 20/10 PR;
    # at 130 % each 99213 allows its full charge (116.66 > 100, > 50): room 40 and 20 -> pays 20.00 and 10.00
    c = claim(["100.00", "50.00"], cid="V0000005P2", primary_paid=D("90.00"), primary_pr=D("30.00"))
    r = adj.adjudicate(c, None, PayerTerms(D(130)), Scenario(), adj.Accumulator(D(0)), kind="commercial")
    assert [ln.paid for ln in r.payment.lines] == [D("20.00"), D("10.00")]
    assert [cas(ln) for ln in r.payment.lines] == [{("OA", "23"): D("80.00")}, {("OA", "23"): D("40.00")}]


def test_out_of_pocket_maximum_caps_the_member():
    # 99214 allowed 126.73 all to the deductible, but only 100 - 40 = 60.00 of out-of-pocket room is left
    m = member(deductible=D(1000), oop=D(100))
    r = run(claim(["205.00"], codes=["99214"]), m, 100, "commercial", acc=adj.Accumulator(D(0), D(40)))
    assert r.payment.patient_responsibility == D(60) and r.payment.paid == D("66.73")


def test_a_code_missing_from_the_fee_schedule_is_allowed_at_a_share_of_the_charge():
    r = run(claim(["200.00"], codes=["99499"]), None, 130, "commercial")
    assert r.payment.lines[0].allowed_amount == D("120.00")        # 60 % of 200.00


def test_denials_carry_their_remarks():
    sc = Scenario(seed=1, denials={"CO-16": 1.0})
    p = adj.adjudicate(claim(["100.00", "50.00"]), None, TERMS, sc, adj.Accumulator(D(0)), kind="commercial").payment
    assert p.status_code == "4" and p.paid == 0
    assert all(cas(ln) == {("CO", "16"): ln.charge} and ln.remark_codes == ["MA130", "N290"] for ln in p.lines)
    pr27 = adj.adjudicate(claim(["100.00"]), None, TERMS, Scenario(denials={"PR-27": 1.0}), adj.Accumulator(D(0)),
                          kind="commercial").payment
    assert pr27.patient_responsibility == D("100.00") and pr27.lines[0].remark_codes == ["N30"]


def test_line_denials_bundle_later_lines_and_question_modifiers_only():
    sc = Scenario(seed=2, denials={"CO-97": 1.0, "CO-4": 1.0})
    c = claim(["140.00", "40.00", "30.00"], codes=["99213", "96372", "J1100"])
    c.lines[0].modifiers = ["25"]
    p = adj.adjudicate(c, None, TERMS, sc, adj.Accumulator(D(0)), kind="commercial").payment
    assert [list(cas(ln)) for ln in p.lines] == [[("CO", "4")], [("CO", "97")], [("CO", "97")]]
    assert [ln.remark_codes for ln in p.lines] == [["M78"], ["M15"], ["M15"]]
    assert p.status_code == "4" and all(ln.allowed_amount == 0 for ln in p.lines)


def test_outcome_does_not_depend_on_order_or_neighbours():
    sc = Scenario(seed=3, denials={"CO-16": 0.3, "CO-50": 0.3, "CO-97": 0.5})
    claims = [claim(["10.00", "20.00", "30.00"], f"V{i:07d}P1") for i in range(50)]
    a = [adj.adjudicate(c, None, TERMS, sc, adj.Accumulator(D(0))).payment for c in claims]
    b = [adj.adjudicate(c, None, TERMS, sc, adj.Accumulator(D(0))).payment for c in reversed(claims)][::-1]
    assert a == b
    assert {p.status_code for p in a} == {"1", "4"}


def test_authorised_claims_are_not_denied_for_missing_auth():
    sc = Scenario(seed=1, denials={"CO-197": 1.0})
    assert adj.draw_claim_denial(claim(["10"], auth="AUTH1"), sc) is None
    assert adj.draw_claim_denial(claim(["10"], auth=None), sc) == "CO-197"


def test_timely_filing_is_deterministic():
    c = claim(["10"])
    c.received = dt.date(2027, 6, 1)
    assert adj.draw_claim_denial(c, Scenario(timely_filing_days=365)) == "CO-29"


@settings(max_examples=150, deadline=None)
@given(charges=st.lists(money, min_size=1, max_size=6), pct=st.integers(1, 200),
       codes=st.lists(st.sampled_from(["99213", "99396", "80053", "90686", "G0439", "97110", "99499"]),
                      min_size=6, max_size=6), kind=st.sampled_from(["commercial", "medicare", "medicaid"]),
       copay=st.sampled_from([D(0), D(20), D("35.50")]), coins=st.sampled_from([D(0), D("0.1"), D("0.333")]),
       deductible=st.sampled_from([D(0), D(250), D(5000)]), met=st.sampled_from([D(0), D(100), D(9000)]),
       oop=st.sampled_from([D(300), D(8000)]), seed=st.integers(0, 10**6),
       secondary=st.booleans(), delta=st.integers(-10, 10))
def test_every_result_balances_to_the_cent(charges, pct, codes, kind, copay, coins, deductible, met, oop, seed,
                                          secondary, delta):
    sc = Scenario(seed=seed, denials={"CO-16": 0.1, "CO-50": 0.05, "PR-27": 0.05, "CO-97": 0.2, "CO-4": 0.2})
    total = sum(charges, D(0))
    c = claim([str(x) for x in charges], primary_paid=(total * D("0.4")).quantize(D("0.01")) if secondary else None,
              primary_pr=(total * D("0.1")).quantize(D("0.01")), codes=codes[:len(charges)], primary_cfi="MB")
    c.lines[0].modifiers = ["25"]
    m = member(copay, coins, deductible, met, oop)
    r = adj.adjudicate(c, m, PayerTerms(D(pct)), sc, adj.Accumulator.for_member(m), kind=kind)
    p = r.payment
    assert adj.balance_errors(p) == []
    assert p.charge == total and p.paid >= 0
    for ln in p.lines:
        assert ln.paid >= 0 and all(a.amount >= 0 for a in ln.adjustments)
        if ln.allowed_amount is not None:
            assert ln.paid <= ln.allowed_amount <= ln.charge
    if kind == "commercial":
        assert r.accumulator.out_of_pocket <= max(oop, met)
    rev = adj.reversal_of(p)
    assert adj.balance_errors(rev) == [] and rev.paid == -p.paid and rev.status_code == "22"
    fixed = adj.corrected_payment(p, D(delta))
    assert adj.balance_errors(fixed) == [] and fixed.paid >= 0
