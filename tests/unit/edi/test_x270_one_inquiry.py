"""build_270 writes a one-inquiry 270 (real time: one per member) directly; the bytes, and the refusal of a
value holding a delimiter, are those of the general writer."""

import datetime as dt
import itertools

import pytest

from include.edi import x270
from include.edi.errors import DelimiterInDataError
from include.edi.x270 import EligibilityInquiry, build_270

WHEN = dt.datetime(2026, 12, 2, 9, 5)


def _general(inquiries, **kw):
    """build_270 through the general writer only (the one-inquiry path declines)."""
    saved = x270._one_270
    x270._one_270 = lambda *args: None
    try:
        return build_270(inquiries, **kw)
    finally:
        x270._one_270 = saved


def _inquiries():
    names = [("DOE", "JANE"), ("Ünal", None), ("O'NEIL", "")]
    for (last, first), member, birth, group, dos, types, dependent in itertools.product(
            names, ["M1", ""], [None, dt.date(1950, 1, 2), "1950-01-02"], [None, "G1"],
            [None, dt.date(2026, 11, 21)], [["30"], [], ["98", "30"]], [False, True]):
        q = EligibilityInquiry(trace_number="E7-20261121", member_id=member, last_name=last, first_name=first,
                               birth_date=birth, sex="F" if birth else None, payer_name="BLUE", payer_id="BCBS1",
                               provider_npi="1234567893", provider_name="CLINIC", service_date=dos,
                               service_types=types, group_number=group)
        if dependent:
            q.dependent_last_name, q.dependent_first_name = "DOE", first
            q.dependent_birth_date, q.dependent_sex = birth, "M" if birth else None
        yield q


def test_one_inquiry_bytes_are_the_general_writers():
    used = 0
    for i, q in enumerate(_inquiries()):
        kw = dict(sender_id="BILLINGSVC", receiver_id="SANDBOX", interchange_control_number=1 + i * 7919,
                  group_control_number=1 + i, transaction_control_number=1 + i % 3, usage_indicator="PT"[i % 2],
                  created=WHEN)
        direct = x270._one_270(q, kw["sender_id"], kw["receiver_id"], kw["interchange_control_number"],
                               kw["group_control_number"], kw["transaction_control_number"], kw["usage_indicator"],
                               WHEN)
        used += direct is not None
        assert build_270([q], **kw) == _general([q], **kw) == (direct or _general([q], **kw))
    assert used > 400          # the direct path wrote them all but the ones it leaves to the general writer


@pytest.mark.parametrize("field", ["member_id", "last_name", "first_name", "payer_name", "provider_name",
                                   "group_number", "trace_number"])
@pytest.mark.parametrize("ch", ["*", ":", "^", "~"])
def test_a_delimiter_in_a_value_is_refused_as_before(field, ch):
    q = EligibilityInquiry(trace_number="T1", member_id="M1", last_name="DOE", first_name="J", payer_name="P",
                           payer_id="P1", provider_npi="1234567893", provider_name="C", group_number="G1")
    setattr(q, field, f"A{ch}B")
    kw = dict(sender_id="S", receiver_id="R", interchange_control_number=1, group_control_number=1, created=WHEN)
    with pytest.raises(DelimiterInDataError) as direct:
        build_270([q], **kw)
    with pytest.raises(DelimiterInDataError) as general:
        _general([q], **kw)
    assert str(direct.value) == str(general.value)


def test_an_interchange_number_out_of_range_is_refused_as_before():
    q = EligibilityInquiry(trace_number="T1", member_id="M1", last_name="DOE")
    with pytest.raises(ValueError, match="ISA13"):
        build_270([q], sender_id="S", receiver_id="R", interchange_control_number=10 ** 9, group_control_number=1)
