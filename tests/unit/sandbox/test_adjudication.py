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
TERMS = PayerTerms(D(80), 14, "ACH")
money = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


def member(copay=D(0), coins=D("0.2"), deductible=D(500), met=D(0), oop=D(6000)):
    return Member("P1", "M1", "L", "F", None, "U", None, "active", dt.date(2025, 1, 1), None,
                  copay, coins, deductible, met, oop)


def claim(charges, cid="V0000001P1", auth="A1", primary_paid=None, primary_pr=D(0)):
    lines = [adj.LineIn(f"{cid}L{i}", "99213", D(c), service_date=dt.date(2026, 2, 1))
             for i, c in enumerate(charges, 1)]
    return adj.ClaimIn(cid, "P1", "PAYER", "M1", "L", "F", "L", "M1", sum((ln.charge for ln in lines), D(0)),
                       dt.date(2026, 2, 10), "1234567893", "CLINIC", lines, prior_authorization=auth,
                       responsibility="S" if primary_paid is not None else "P", primary_paid=primary_paid,
                       primary_patient_responsibility=primary_pr)


def test_line_money_deductible_then_coinsurance():
    r = adj.adjudicate(claim(["100.00", "50.00"]), member(deductible=D(100), met=D(30)), TERMS, Scenario(),
                       adj.Accumulator(D(30), D(30)))
    l1, l2 = r.payment.lines
    assert l1.allowed_amount == D("80.00")
    assert {(a.group, a.reason): a.amount for a in l1.adjustments} == {("CO", "45"): D("20.00"),
                                                                      ("PR", "1"): D("70.00"),
                                                                      ("PR", "2"): D("2.00")}
    assert l1.paid == D("8.00")
    assert {(a.group, a.reason): a.amount for a in l2.adjustments} == {("CO", "45"): D("10.00"),
                                                                      ("PR", "2"): D("8.00")}
    assert r.accumulator.deductible_met == D(100)
    assert r.payment.patient_responsibility == D("80.00") and r.payment.paid == D("40.00")


def test_copay_once_per_claim_and_deductible_carried():
    m = member(copay=D(25), deductible=D(50))
    first = adj.adjudicate(claim(["100.00"], "V1P1"), m, TERMS, Scenario(), adj.Accumulator.for_member(m))
    second = adj.adjudicate(claim(["100.00", "100.00"], "V2P1"), m, TERMS, Scenario(), first.accumulator)
    pr = lambda p, r: sum(a.amount for ln in p.lines for a in ln.adjustments if (a.group, a.reason) == ("PR", r))  # noqa: E731
    assert pr(first.payment, "1") == D(50) and pr(first.payment, "3") == D(25)
    assert pr(second.payment, "1") == 0 and pr(second.payment, "3") == D(25)


def test_out_of_pocket_maximum_caps_the_member():
    m = member(deductible=D(1000), oop=D(100))
    r = adj.adjudicate(claim(["1000.00"]), m, TERMS, Scenario(), adj.Accumulator(D(0), D(40)))
    assert r.payment.patient_responsibility == D(60)


def test_secondary_pays_what_the_primary_left_with_oa23():
    c = claim(["200.00"], primary_paid=D("120.00"), primary_pr=D("30.00"))
    r = adj.adjudicate(c, member(), TERMS, Scenario(), adj.Accumulator(D(0)))
    p = r.payment
    assert p.status_code == "2"
    amounts = {(a.group, a.reason): a.amount for a in p.lines[0].adjustments}
    assert amounts[("OA", "23")] == D("120.00") and amounts[("CO", "45")] == D("40.00")
    assert p.paid == min(D("30.00"), D("160.00") - D("120.00"))
    assert adj.balance_errors(p) == []


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
@given(charges=st.lists(money, min_size=1, max_size=6), pct=st.integers(1, 100),
       copay=st.sampled_from([D(0), D(20), D("35.50")]), coins=st.sampled_from([D(0), D("0.1"), D("0.333")]),
       deductible=st.sampled_from([D(0), D(250), D(5000)]), met=st.sampled_from([D(0), D(100), D(9000)]),
       oop=st.sampled_from([D(300), D(8000)]), seed=st.integers(0, 10**6),
       secondary=st.booleans(), delta=st.integers(-10, 10))
def test_every_result_balances_to_the_cent(charges, pct, copay, coins, deductible, met, oop, seed, secondary,
                                          delta):
    sc = Scenario(seed=seed, denials={"CO-16": 0.1, "CO-50": 0.05, "CO-97": 0.2})
    total = sum(charges, D(0))
    c = claim([str(x) for x in charges], primary_paid=(total * D("0.4")).quantize(D("0.01")) if secondary else None,
              primary_pr=(total * D("0.1")).quantize(D("0.01")))
    m = member(copay, coins, deductible, met, oop)
    r = adj.adjudicate(c, m, PayerTerms(D(pct), 14, "ACH"), sc, adj.Accumulator.for_member(m))
    p = r.payment
    assert adj.balance_errors(p) == []
    assert p.charge == total and p.paid >= 0
    for ln in p.lines:
        assert ln.paid >= 0 and all(a.amount >= 0 for a in ln.adjustments)
        if ln.allowed_amount is not None:
            assert ln.paid <= ln.allowed_amount <= ln.charge
    assert r.accumulator.out_of_pocket <= max(oop, met)
    rev = adj.reversal_of(p)
    assert adj.balance_errors(rev) == [] and rev.paid == -p.paid and rev.status_code == "22"
    fixed = adj.corrected_payment(p, D(min(100, max(1, pct + delta))))
    assert adj.balance_errors(fixed) == [] and fixed.paid >= 0
