"""Tokenizer/envelope reader: delimiters, streaming, lenient envelopes, X12Error only."""
from __future__ import annotations

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.edi.errors import Finding, X12Error
from include.edi.reader import Delimiters, detect_delimiters, iter_segments, iter_transactions, read_interchanges
from include.edi.writer import build_interchange

GROUP = [("HC", "S", "R", 7, "005010X222A1", [("837", 1, [["BHT", "0019", "00", "X", "20260101", "1200", "CH"],
                                                       ["NM1", "41", "2", "ACME", "", "", "", "", "46", "S"]]),
                                               ("837", 2, [["BHT", "0019", "00", "Y"]])])]


def make(delims=Delimiters("*", ":", "^", "~"), line_breaks=False, icn=1):
    return build_interchange("SENDER", "RECEIVER", icn, GROUP, delimiters=delims, line_breaks=line_breaks)


def test_isa_is_fixed_width_and_counts():
    data = make()
    isa = data.split(b"~")[0]
    assert len(isa) + 1 == 106
    segs = list(iter_segments(data))
    assert [s.tag for s in segs] == ["ISA", "GS", "ST", "BHT", "NM1", "SE", "ST", "BHT", "SE", "GE", "IEA"]
    assert segs[5].elements == ["4", "0001"] and segs[9].elements == ["2", "7"] and segs[10].elements == ["1", "000000001"]
    assert segs[0].el(6).strip() == "SENDER" and len(segs[0].el(6)) == 15 and segs[0].el(13) == "000000001"
    assert segs[0].index == 1 and segs[1].offset == 106


def test_segment_helpers():
    data = build_interchange("S", "R", 1, [("HC", "S", "R", 1, "005010X222A1", [("837", 1, [
        ["SV1", ["HC", "99213", "25", "", ""], "100", "UN", "1", "", "", ["1", "2"]],
        ["EB", "1", "", [["1"], ["33"], ["35"]]]])])])
    segs = list(iter_segments(data))
    sv1 = next(s for s in segs if s.tag == "SV1")
    assert sv1.el(1) == "HC:99213:25"      # no trailing empty components
    assert sv1.composite(1) == ["HC", "99213", "25"] and sv1.composite(7) == ["1", "2"]
    assert sv1.el(2) == "100" and sv1.el(5) == "" and sv1.el(5, "x") == "x" and sv1.el(99) == ""
    assert sv1.to_text().endswith("*1:2~")
    eb = next(s for s in segs if s.tag == "EB")
    assert eb.repeats(3) == ["1", "33", "35"]


@pytest.mark.parametrize("delims", [Delimiters("*", ":", "^", "~"), Delimiters("|", ">", "^", "\n"),
                                    Delimiters("*", ">", "!", "'"), Delimiters("^", "\\", "{", "~")])
@pytest.mark.parametrize("line_breaks", [False, True])
def test_any_delimiters(delims, line_breaks):
    if delims.segment == "\n" and line_breaks:
        pytest.skip("terminator already a line break")
    data = make(delims, line_breaks)
    isas = read_interchanges(data)
    assert detect_delimiters(data)[0] == delims
    assert [t.control_number for t in isas[0].groups[0].transactions] == ["0001", "0002"]
    assert isas[0].all_findings() == []


def test_crlf_and_bom():
    data = b"\xef\xbb\xbf\r\n" + make().replace(b"~", b"~\r\n")
    isas = read_interchanges(data)
    assert len(isas[0].groups[0].transactions) == 2 and isas[0].all_findings() == []


def test_concatenated_interchanges_with_different_delimiters_and_small_chunks():
    a = make(icn=1)
    b = make(Delimiters("|", ">", "^", "\n"), icn=2)
    c = make(Delimiters("*", ":", "^", "~"), line_breaks=True, icn=3)
    data = a + b"\n" + b + c
    for chunk in (512, 600, 1 << 20):
        isas = list(read_interchanges_chunked(data, chunk))
        assert [i.control_number for i in isas] == ["000000001", "000000002", "000000003"]
        segs = list(iter_segments(io.BytesIO(data), chunk_size=chunk))
        assert len(segs) == 33
        assert [s.index for s in segs] == list(range(1, 34))


def read_interchanges_chunked(data, chunk):
    seen = []
    for t in iter_transactions(io.BytesIO(data), keep=True, chunk_size=chunk):
        if t.group.interchange not in seen:
            seen.append(t.group.interchange)
    return seen


def test_offsets_point_at_segments():
    data = make(line_breaks=True)
    for s in iter_segments(data):
        assert data[s.offset:s.offset + len(s.tag)].decode() == s.tag


def test_sources(tmp_path):
    data = make()
    p = tmp_path / "x.837"
    p.write_bytes(data)
    for src in (data, str(p), p, open(p, "rb")):
        assert len(list(iter_segments(src))) == 11


def test_envelope_problems_are_warnings():
    data = make().replace(b"SE*4*0001", b"SE*9*0002").replace(b"GE*2*7", b"GE*3*8").replace(
        b"IEA*1*000000001", b"IEA*2*000000009")
    [isa] = read_interchanges(data, "bad.837")
    codes = sorted(f.code for f in isa.all_findings())
    assert codes == ["ge01_count", "ge02_control", "iea01_count", "iea02_control", "se01_count", "se02_control"]
    assert all(isinstance(f, Finding) and f.severity == "warning" and f.file == "bad.837" for f in isa.all_findings())
    se = [f for f in isa.all_findings() if f.code == "se01_count"][0]
    assert se.segment == "SE" and se.element == "SE01" and se.segment_index == 6


def test_missing_trailers_are_warnings():
    data = make()
    cut = data[:data.index(b"SE*3*0002")]
    [isa] = read_interchanges(cut)
    assert {"missing_se", "missing_ge", "missing_iea"} <= {f.code for f in isa.all_findings()}


def test_x12error_format():
    e = X12Error("ISA segment too short", file="claims.837", segment_index=14, offset=812)
    assert str(e) == "claims.837: segment 14 (byte 812): ISA segment too short"
    assert (e.file, e.segment_index, e.offset, e.message) == ("claims.837", 14, 812, "ISA segment too short")
    assert str(X12Error("boom")) == "boom"


@pytest.mark.parametrize("bad", [b"", b"   \n", b"hello world", b"ISA*00*", b"ISA*00*" + b"x" * 300,
                                 b"ISA" + b"A" * 200, b"\x00\xff" * 100, b"GS*HC~",
                                 b"ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          *131031*1147*^*00501*000000907*1*T*:~GS*HC",
                                 b"ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          *131031*1147*^*00501*000000907*1*T*:~IEA*1*1~ZZZZZZ*1~"])
def test_malformed_input_raises_x12error(bad):
    with pytest.raises(X12Error):
        read_interchanges(bad, "bad.x12")


def test_unreadable_path():
    with pytest.raises(X12Error) as ei:
        list(iter_segments("/nonexistent/file.837"))
    assert "cannot open" in str(ei.value)


def _only_x12error(data: bytes):
    try:
        for isa in read_interchanges(data, "fuzz"):
            isa.all_findings()
    except X12Error:
        pass


@settings(database=None, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_only_x12error(data):
    _only_x12error(data)
    _only_x12error(b"ISA" + data)


VALID = make(line_breaks=True)


@settings(database=None, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255), st.sampled_from(["set", "del", "ins"])),
                min_size=1, max_size=6))
def test_mutated_bytes_only_x12error(muts):
    data = bytearray(VALID)
    for pos, val, op in muts:
        pos = min(pos, len(data) - 1)
        if op == "set":
            data[pos] = val
        elif op == "del":
            del data[pos]
        else:
            data.insert(pos, val)
    _only_x12error(bytes(data))


def test_truncations_only_x12error():
    rnd = random.Random(1)
    for _ in range(100):
        _only_x12error(VALID[:rnd.randrange(len(VALID))])


class _Repeat(io.RawIOBase):
    """A binary stream of ``n`` copies of ``unit`` that never holds the whole stream."""

    def __init__(self, unit: bytes, n: int):
        self.block = unit * 32
        self.left = n // 32

    def readable(self):
        return True

    def read(self, size=-1):
        if self.left <= 0:
            return b""
        self.left -= 1
        return self.block


def test_streaming_memory_is_flat():
    import tracemalloc
    unit = make(line_breaks=True)
    peaks = {}
    for n in (32, 1600):       # ~10 KB vs ~0.5 MB (8 chunks of 64 KiB)
        tracemalloc.start()
        count = sum(1 for _ in iter_segments(_Repeat(unit, n), chunk_size=1 << 16))
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == 11 * n
    assert peaks[1600] < peaks[32] + (1 << 20), peaks


ALTERNATING = [Delimiters("*", ":", "^", "~"), Delimiters("|", ">", "^", "\n"), Delimiters("^", "\\", "{", "'")]


@pytest.mark.parametrize("chunk", [512, 4096, 1 << 20])
def test_many_interchanges_with_alternating_delimiters_are_all_read(chunk):
    # issue 19: 8,000 interchanges whose delimiters change at every ISA made the reader
    # re-slice its buffer per change (quadratic); the speed is in bench/bench_edi.py, this
    # checks that each of 2,000 such interchanges comes out whole and in order.
    n = 2000
    units = [make(ALTERNATING[i % 3], line_breaks=i % 2 == 1 and ALTERNATING[i % 3].segment != "\n", icn=i + 1)
             for i in range(n)]
    data = b"".join(units)
    segs = list(iter_segments(io.BytesIO(data), chunk_size=chunk))
    assert len(segs) == 11 * n
    assert [s.index for s in segs] == list(range(1, 11 * n + 1))
    isas = [s for s in segs if s.tag == "ISA"]
    assert [s.el(13) for s in isas] == [f"{i + 1:09d}" for i in range(n)]
    assert [s.delimiters for s in isas] == [ALTERNATING[i % 3] for i in range(n)]
    # each interchange starts where its bytes start, and every segment's offset points at its tag
    starts = [0]
    for u in units[:-1]:
        starts.append(starts[-1] + len(u))
    assert [s.offset for s in isas] == starts
    assert all(data[s.offset:s.offset + len(s.tag)].decode() == s.tag for s in segs)
    assert [s.tag for s in segs[:11]] == ["ISA", "GS", "ST", "BHT", "NM1", "SE", "ST", "BHT", "SE", "GE", "IEA"]
    ieas = [s for s in segs if s.tag == "IEA"]
    assert [s.elements for s in ieas] == [["1", f"{i + 1:09d}"] for i in range(n)]
    isas_read = read_interchanges(io.BytesIO(data))
    assert len(isas_read) == n and all(i.all_findings() == [] for i in isas_read)
    assert [len(i.groups[0].transactions) for i in isas_read] == [2] * n


@pytest.mark.parametrize("chunk", [512, 1 << 20])
def test_each_isa_is_read_once_whatever_the_delimiters(chunk, monkeypatch):
    # the reader finds where the delimiters change and reads that ISA's delimiters there; it must not
    # read them again when it gets there (alternating delimiters had cost three reads an interchange)
    import include.edi.reader as reader

    calls = []

    def counted(buf, pos=0, **kw):
        calls.append(pos)
        return detect_delimiters(buf, pos, **kw)

    monkeypatch.setattr(reader, "detect_delimiters", counted)
    n = 300
    for delimiters in (lambda i: ALTERNATING[i % 3], lambda i: ALTERNATING[0]):
        calls.clear()
        data = b"".join(make(delimiters(i), icn=i + 1) for i in range(n))
        assert sum(1 for _ in iter_segments(io.BytesIO(data), chunk_size=chunk)) == 11 * n
        # chunk edges may make the reader wait for more bytes before reading an ISA, not read it twice
        assert n - 1 <= len(calls) <= n + len(data) // chunk + 1, len(calls)
