"""One helper per X12 rule: the 837P reads numbers, dates and CAS the way the other transactions do,
and the two 277 builders group claims under the same provider level (issue 20)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from edi_factories import CREATED, RECEIVER, SUBMITTER, claim, secondary_claim

from include.edi.errors import X12Error
from include.edi.reader import read_interchanges
from include.edi.x277 import build_277, parse_277
from include.edi.x277ca import ClaimStatus, Status, build_277ca, parse_277ca
from include.edi.x837p import build_837p, parse_837p


def build(claims):
    return build_837p(claims, submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1,
                      group_control_number=1, first_transaction_control_number=1, created=CREATED,
                      usage_indicator="T")


def reparse(data: bytes):
    return parse_837p(read_interchanges(data)[0].groups[0].transactions[0])


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_837p_money_that_is_not_a_finite_number_is_an_x12_error(bad):
    data = build([claim(1)]).replace(b"SV1*HC:99213*100*", b"SV1*HC:99213*" + bad.encode() + b"*")
    assert bad.encode() in data
    with pytest.raises(X12Error, match="not a number"):
        reparse(data)


def test_837p_reads_a_six_digit_date_as_835_and_277_do():
    data = build([claim(1)]).replace(b"DTP*472*D8*20260201", b"DTP*472*D8*260201")
    assert reparse(data)[0].lines[0].service_date == dt.date(2026, 2, 1)


def test_837p_cas_quantity_is_written_and_read_back():
    c = secondary_claim(1)
    c.other_payers[0].adjustments = [("CO", "45", Decimal("50.00"), Decimal("2")), ("PR", "1", Decimal("30.00"))]
    data = build([c])
    assert b"CAS*CO*45*50*2~" in data
    back = reparse(data)[0]
    assert back.other_payers[0].adjustments == [("CO", "45", Decimal("50"), Decimal("2")),
                                                ("PR", "1", Decimal("30"))]


def test_837p_cas_amount_out_of_range_is_refused_like_835():
    data = build([secondary_claim(1)]).replace(b"CAS*CO*45*50~", b"CAS*CO*45*50.001~")
    with pytest.raises(X12Error, match="fraction of a cent"):
        reparse(data)


def _providers(data: bytes) -> list[str]:
    segs = read_interchanges(data)[0].groups[0].transactions[0].segments
    return [s.el(9) for s in segs if s.tag == "NM1" and s.el(1) in ("85", "1P")]


@pytest.mark.parametrize("builder,parser", [(build_277, parse_277), (build_277ca, parse_277ca)])
def test_277_and_277ca_put_claims_without_an_npi_under_one_default_provider(builder, parser):
    claims = [ClaimStatus(claim_id="A", statuses=[Status("A1", "19", "PR")], provider_npi=None),
              ClaimStatus(claim_id="B", statuses=[Status("A1", "19", "PR")], provider_npi="1999999984"),
              ClaimStatus(claim_id="C", statuses=[Status("A1", "19", "PR")], provider_npi="1234567893")]
    data = builder(claims, sender_id="P", receiver_id="R", interchange_control_number=1, group_control_number=1,
                   created=dt.datetime(2026, 3, 1, 12, 0))
    assert _providers(data) == ["1999999984", "1234567893"]
    assert [(c.claim_id, c.provider_npi) for c in parser(data)] == [
        ("A", "1999999984"), ("B", "1999999984"), ("C", "1234567893")]
