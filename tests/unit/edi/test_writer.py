"""The writer refuses values holding the interchange's delimiters (X12 has no escape).

X12.5/X12.6: the element separator, component separator, repetition separator and segment
terminator are chosen per interchange in the ISA and may not occur in data; a receiver splits
on them wherever they occur, so "O*BRIEN" in NM103 would shift every later element.  The
error names the segment, the element (and component) and the delimiter, never the value,
which may be a patient's name.
"""
from __future__ import annotations

import dataclasses
import pickle

import pytest
from edi_factories import CREATED, RECEIVER, SUBMITTER, claim, subscriber

from include.edi.errors import DelimiterInDataError, X12Error
from include.edi.reader import Delimiters, iter_segments
from include.edi.writer import build_interchange, segment_text
from include.edi.x837p import build_837p

STAR = Delimiters("*", ":", "^", "~")
PIPE = Delimiters("|", ">", "!", "\n")


def one(segments, delimiters=STAR):
    return build_interchange("S", "R", 1, [("HC", "S", "R", 1, "005010X222A1", [("837", 1, segments)])],
                             delimiters=delimiters)


@pytest.mark.parametrize("value,kind,char", [("O*BRIEN", "element", "*"), ("DOE~", "segment", "~"),
                                             ("DOE:SMITH", "component", ":"), ("DO^E", "repetition", "^")])
def test_a_delimiter_in_an_element_is_refused_with_where_not_what(value, kind, char):
    with pytest.raises(DelimiterInDataError) as ei:
        one([["BHT", "0019", "00", "X"], ["NM1", "IL", "1", value, "JANE"]])
    e = ei.value
    assert isinstance(e, X12Error)
    # ISA, GS, ST, BHT, then the NM1: the fifth segment of the interchange
    assert (e.segment_id, e.element, e.component, e.field, e.delimiter, e.character, e.segment_index) == (
        "NM1", 3, None, "NM103", kind, char, 5)
    assert "NM103" in str(e) and value not in str(e)


def test_a_delimiter_in_a_component_names_the_component():
    with pytest.raises(DelimiterInDataError) as ei:
        segment_text(["SV1", ["HC", "99:13", "25"], "100"], STAR)
    assert (ei.value.field, ei.value.delimiter, ei.value.component) == ("SV101-2", "component", 2)
    with pytest.raises(DelimiterInDataError) as ei:
        segment_text(["EB", "1", "", [["1"], ["3^3"]]], STAR)
    assert (ei.value.field, ei.value.delimiter) == ("EB03-1", "repetition")


def test_composites_repetitions_and_other_interchanges_delimiters_are_fine():
    assert segment_text(["SV1", ["HC", "99213", "25", "", ""], "100", "UN", "1", "", "", ["1", "2"]], STAR) == \
        "SV1*HC:99213:25*100*UN*1***1:2"
    assert segment_text(["EB", "1", "", [["1"], ["33"], ["35"]]], STAR) == "EB*1**1^33^35"
    # "*", ":" and "^" are data when the interchange uses | > ! and a line break
    data = one([["NM1", "IL", "1", "O*BRIEN:JR^", "JANE"]], PIPE)
    nm1 = next(s for s in iter_segments(data) if s.tag == "NM1")
    assert nm1.el(3) == "O*BRIEN:JR^"
    with pytest.raises(DelimiterInDataError) as ei:
        one([["NM1", "IL", "1", "O|BRIEN"]], PIPE)
    assert (ei.value.field, ei.value.character) == ("NM103", "|")


def test_an_837p_with_a_delimiter_in_the_subscriber_name_is_refused_naming_the_field():
    bad = claim(1, subscriber=dataclasses.replace(subscriber(1), last_name="DOE~SMITH"))
    with pytest.raises(DelimiterInDataError) as ei:
        build_837p([bad], submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1,
                   group_control_number=1, first_transaction_control_number=1, created=CREATED)
    assert (ei.value.segment_id, ei.value.field, ei.value.delimiter) == ("NM1", "NM103", "segment")
    assert "DOE~SMITH" not in str(ei.value)


def test_the_error_survives_pickling():
    e = DelimiterInDataError("NM1", 3, "element", "*", segment_index=9)
    back = pickle.loads(pickle.dumps(e))
    assert (back.field, back.delimiter, back.segment_index, str(back)) == ("NM103", "element", 9, str(e))
