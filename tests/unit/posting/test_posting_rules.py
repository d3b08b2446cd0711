"""Pure posting rules (no database): line matching and claim status, over wide inputs."""
from __future__ import annotations

import datetime as dt
from collections import namedtuple
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from include.billing.carc import ACTIONS, CATEGORIES, classify
from include.billing.posting import _match_lines, claim_status_for
from include.edi.x835 import Adjustment, ClaimPayment, ServicePayment

DOS = dt.date(2026, 3, 2)
# a lines_for_claims row, as posting reads it (named columns)
Line = namedtuple("Line", "id claim_id line_number line_control_number procedure_code service_date units modifiers")
CODES = ["99213", "85025", "36415", "97110"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=12), st.randoms(use_true_random=False),
       st.lists(st.booleans(), min_size=12, max_size=12))
def test_every_line_matched_once_with_or_without_ref_6r(codes, rnd, keep_ref):
    lines = [Line(100 + n, 7, n, f"V0000001P1L{n}", code, DOS, Decimal(1), [])
             for n, code in enumerate(codes, start=1)]
    by_lcn = {ln[3]: ln for ln in lines}
    order = list(lines)
    rnd.shuffle(order)                 # payers may return lines in any order
    clp = ClaimPayment("V0000001P1", "1", Decimal(0), Decimal(0), lines=[
        ServicePayment(procedure_code=ln[4], charge=Decimal(1), paid=Decimal(1), service_date=DOS,
                       line_control_number=ln[3] if keep_ref[i] else None) for i, ln in enumerate(order)])
    matched = _match_lines(clp, lines, by_lcn)
    assert None not in matched and len(set(matched)) == len(lines)
    code_of = {ln[0]: ln[4] for ln in lines}
    assert all(code_of[m] == svc.procedure_code for m, svc in zip(matched, clp.lines))
    for m, svc in zip(matched, clp.lines):     # a kept REF*6R always wins
        if svc.line_control_number:
            assert by_lcn[svc.line_control_number][0] == m


@given(st.sampled_from(["CO", "PR", "OA", "PI", "CR"]), st.text("0123456789ABMN", min_size=1, max_size=4),
       st.lists(st.sampled_from(["M51", "N115", "MA04", "N54", "M15", "ZZZ"]), max_size=3))
def test_any_code_gets_a_category_and_action(group, carc, rarcs):
    c = classify(group, carc, rarcs)
    assert c.category in CATEGORIES and c.action in ACTIONS
    if group == "PR":
        assert c.action == "patient"


@given(st.lists(st.tuples(st.sampled_from([("CO", "45"), ("PR", "1"), ("PR", "2"), ("CO", "97"), ("CO", "16"),
                                           ("OA", "23")]), st.integers(0, 5000)), max_size=6),
       st.integers(0, 10000))
def test_claim_status_rules(adjs, paid_cents):
    paid = Decimal(paid_cents) / 100
    clp = ClaimPayment("C1", "1", Decimal(100), paid,
                       adjustments=[Adjustment(g, r, Decimal(a) / 100) for (g, r), a in adjs])
    status = claim_status_for(clp)
    denied = any(g == "CO" and r in ("97", "16") and a > 0 for (g, r), a in adjs)
    patient = sum(a for (g, _), a in adjs if g == "PR")
    # denied: nothing paid and nothing allowed (no PR) and a non-contractual reason for the rest;
    # all to the patient (deductible, coinsurance) is processed; a denied part of a paid claim is partial
    if paid == 0 and patient == 0 and denied:
        assert status == "denied"
    else:
        assert status == ("partially_paid" if denied else "paid")
