"""segment_text's fast paths (segments and composites of str only, joined in C) give exactly
what the writer gave before them: the same text, or the same DelimiterInDataError.

The reference below is segment_text as it was before the fast paths, kept verbatim as the oracle.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.edi.errors import DelimiterInDataError
from include.edi.reader import Delimiters
from include.edi.writer import _el, _refuse, fmt_amount, fmt_date, segment_text


def reference_segment_text(seg, d, index=None):
    comp = d.component
    rep = d.repetition
    els = []
    joins = 0
    for v in seg:
        if v.__class__ is str:
            els.append(v)
        elif isinstance(v, (list, tuple)):
            repeated = bool(v) and isinstance(v[0], (list, tuple))
            texts = []
            for x in (v if repeated else (v,)):
                comps = [_el(y, d) for y in x]
                while comps and comps[-1] == "":
                    comps.pop()
                if comps:
                    joins += len(comps) - 1
                texts.append(comp.join(comps))
            if repeated:
                joins += len(v) - 1 if rep else 0
                els.append(rep.join(texts))
            else:
                els.append(texts[0])
        else:
            els.append(_el(v, d))
    while len(els) > 1 and els[-1] == "":
        els.pop()
    text = d.element.join(els)
    if (text.count(d.element) != len(els) - 1 or d.segment in text
            or (text.count(comp) + (text.count(rep) if rep else 0)) != joins):
        _refuse(seg, d, index)
    return text


class Code(str):
    """A str subclass (such values take the general path)."""


DELIMS = [Delimiters("*", ":", "^", "~"), Delimiters("|", ">", "!", "\n"), Delimiters("*", ":", "", "~"),
          Delimiters("A", "B", "C", "D")]
# data drawn mostly from the delimiter characters themselves, so that refusals are frequent
chars = st.sampled_from("*:^~|>!\nABCD01 .-")
text = st.text(chars, max_size=4)
scalar = st.one_of(text, text, text, st.just(""), st.none(),
                   st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
                   st.integers(-5, 500), st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)),
                   text.map(Code))
composite = st.one_of(st.lists(text, max_size=5), st.lists(scalar, max_size=5), st.tuples(text, text))
repeated = st.lists(st.lists(text, min_size=1, max_size=3), min_size=1, max_size=3)
element = st.one_of(text, text, text, st.just(""), scalar, composite, repeated)
segments = st.one_of(
    st.tuples(st.sampled_from(["NM1", "CLM", "SV1", "HI"]), st.lists(text, max_size=10)),
    st.tuples(st.sampled_from(["NM1", "CLM", "SV1", "HI"]), st.lists(element, max_size=10)),
).map(lambda t: [t[0], *t[1]])


def outcome(fn, seg, d):
    try:
        return ("text", fn(seg, d, 7))
    except DelimiterInDataError as e:
        return ("refused", e.segment_id, e.element, e.component, e.delimiter, e.character, e.segment_index, str(e))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments, st.sampled_from(DELIMS))
def test_fast_paths_write_and_refuse_exactly_as_before(seg, d):
    assert outcome(segment_text, seg, d) == outcome(reference_segment_text, seg, d)


def test_the_fast_paths_cover_trailing_empties_delimiters_and_composites():
    star = Delimiters("*", ":", "^", "~")
    cases = [
        ["NM1", "IL", "1", "DOE", "", "", "", ""],          # trailing empties dropped
        ["NM1", "", "", ""],
        ["NM1"],
        ["N3", "1 ELM*ST"],                                 # element separator in data
        ["N3", "1 ELM ST", "APT~2"],
        ["N3", "A:B"],
        ["N3", "A^B"],
        ["N3", "A^B", ""],
        ["CLM", "C1", "100", "", "", ["11", "B", "1"], "Y"],
        ["CLM", "C1", "100", "", "", ["11", "", ""], "", ["AA", "", "", ""]],
        ["CLM", "C1", "100", "", "", ["1:1", "B", "1"]],    # component separator inside a component
        ["SV1", ["HC", "99213", None, "25"], Decimal("100.50"), "UN", Decimal("1.0")],
        ["HI", ["ABK", "J069"], ["ABF", ""], []],
        ["EB", "1", "", [["1"], ["3^3"]]],
        ["DTP", "472", "D8", dt.date(2026, 2, 1)],
        ["NM1", Code("IL"), "1"],
    ]
    for seg in cases:
        assert outcome(segment_text, seg, star) == outcome(reference_segment_text, seg, star), seg


def reference_fmt_amount(v):
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return v
    d = Decimal(v) if not isinstance(v, Decimal) else v
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def _either(fn, v):
    try:
        return fn(v)
    except Exception as e:      # noqa: BLE001 - the same failure is part of "the same"
        return type(e)


amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(lambda i, e: Decimal(i).scaleb(e), st.integers(-10**30, 10**30), st.integers(-40, 5)),
    st.sampled_from([Decimal("-0.00"), Decimal("0.00"), Decimal("0"), Decimal("100.00"), Decimal("12.50"),
                     Decimal("1E+2"), Decimal("1.000"), Decimal("0.0000001"), Decimal("-0.10"), 1.5, 0.1, 7]),
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32), st.just(None))


@settings(max_examples=3000, deadline=None)
@given(amounts)
def test_fmt_amount_writes_every_amount_as_before(v):
    assert _either(fmt_amount, v) == _either(reference_fmt_amount, v)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.dates(), st.datetimes(), st.none(), st.just(""), st.dates().map(dt.date.isoformat)))
def test_fmt_date_writes_every_date_as_before(d):
    expected = "" if d is None or d == "" else d.replace("-", "") if isinstance(d, str) else d.strftime("%Y%m%d")
    assert fmt_date(d) == fmt_date(d) == expected
