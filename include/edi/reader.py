"""Streaming X12 tokenizer and envelope reader.

``iter_segments`` streams segments from bytes, a path or a binary file in chunks
(memory stays flat for any file size).  Delimiters are read from every ISA, so
concatenated interchanges with different delimiters work.  Malformed input raises
:class:`~include.edi.errors.X12Error` and nothing else.

``read_interchanges`` groups segments into Interchange / FunctionalGroup /
TransactionSet objects and attaches envelope problems as warning findings.
"""
from __future__ import annotations

import io
import os
import pathlib
from dataclasses import dataclass, field
from typing import Iterator

from .errors import Finding, X12Error

_WS = b" \t\r\n\x00\xef\xbb\xbf"  # whitespace and a UTF-8 BOM before/between segments
_WS_S = " \t\r\n\x00"
_GOOD_TAGS: set[str] = set()   # segment ids already checked (2-3 ASCII alphanumerics)


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


DEFAULT_DELIMITERS = Delimiters()


@dataclass(slots=True)
class Segment:
    """One segment. ``index`` is its 1-based position in the file, ``offset`` its byte offset."""

    tag: str
    elements: list[str]
    index: int = 0
    offset: int = 0
    delimiters: Delimiters = DEFAULT_DELIMITERS

    def el(self, n: int, default: str = "") -> str:
        """Element ``n`` (1-based, as in "NM109" → el(9)); ``default`` when absent/empty."""
        els = self.elements
        if 0 < n <= len(els):
            v = els[n - 1]
            return v if v != "" else default
        return default

    def composite(self, n: int) -> list[str]:
        """Components of element ``n``.  Lenient: when the declared component separator
        does not occur but '>' or ':' does (a common partner mistake), split on that."""
        v = self.el(n)
        if not v:
            return []
        c = self.delimiters.component
        if c in v:
            return v.split(c)
        for alt in (">", ":"):
            if alt != c and alt in v and alt != self.delimiters.element:
                return v.split(alt)
        return [v]

    def component(self, n: int, m: int, default: str = "") -> str:
        c = self.composite(n)
        return c[m - 1] if 0 < m <= len(c) and c[m - 1] != "" else default

    def repeats(self, n: int) -> list[str]:
        v = self.el(n)
        if not v:
            return []
        rep = self.delimiters.repetition
        return v.split(rep) if rep else [v]

    def __len__(self) -> int:
        return len(self.elements)

    def to_text(self) -> str:
        d = self.delimiters
        return d.element.join([self.tag, *self.elements]) + d.segment


_ELEMENTS = Segment.__dict__["elements"]


class _LazySegment(Segment):
    """A Segment whose elements are split from the raw text on first use (reader speed)."""

    __slots__ = ("_raw",)

    def __init__(self, tag: str, raw: str, index: int, offset: int, delimiters: Delimiters):
        self.tag = tag
        self._raw = raw
        self.index = index
        self.offset = offset
        self.delimiters = delimiters

    @property
    def elements(self) -> list[str]:  # type: ignore[override]
        try:
            return _ELEMENTS.__get__(self)
        except AttributeError:
            els = self._raw.split(self.delimiters.element)
            del els[0]
            _ELEMENTS.__set__(self, els)
            return els

    @elements.setter
    def elements(self, value: list[str]) -> None:
        _ELEMENTS.__set__(self, value)

    def __eq__(self, other):
        if not isinstance(other, Segment):
            return NotImplemented
        return (self.tag, self.elements, self.index, self.offset, self.delimiters) == (
            other.tag, other.elements, other.index, other.offset, other.delimiters)

    __hash__ = None  # type: ignore[assignment]


def _open(source, name):
    """Return (binary file object, should_close, display name)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True, name
    if isinstance(source, (str, pathlib.PurePath)):
        path = os.fspath(source)
        try:
            return open(path, "rb"), True, name or path
        except OSError as exc:
            raise X12Error(f"cannot open: {exc.strerror or exc}", file=name or path) from None
    if hasattr(source, "read"):
        return source, False, name or getattr(source, "name", None)
    raise X12Error(f"unsupported source type {type(source).__name__}", file=name)


def detect_delimiters(buf: bytes, pos: int = 0, *, file=None, index=None) -> tuple[Delimiters, int]:
    """Read delimiters from the ISA starting at ``buf[pos]``.

    Returns (delimiters, position just after the segment terminator).  The ISA is
    fixed width (106 chars), but the position of ISA16 is found by counting element
    separators so that an unpadded ISA is still read.
    """
    if buf[pos:pos + 3] != b"ISA":
        raise X12Error("expected an ISA segment", file=file, segment_index=index, offset=pos)
    if len(buf) < pos + 4:
        raise X12Error("ISA segment too short", file=file, segment_index=index, offset=pos)
    e = buf[pos + 3:pos + 4]
    if e.isalnum() or e in b" \r\n":
        raise X12Error(f"invalid element separator {e!r} in ISA", file=file, segment_index=index, offset=pos)
    i = pos + 3
    seps = [i]
    limit = min(len(buf), pos + 400)
    while len(seps) < 16:
        i = buf.find(e, i + 1, limit)
        if i < 0:
            raise X12Error("ISA segment too short", file=file, segment_index=index, offset=pos)
        seps.append(i)
    comp_pos = seps[15] + 1
    if comp_pos + 1 >= len(buf):
        raise X12Error("ISA segment too short", file=file, segment_index=index, offset=pos)
    c = buf[comp_pos:comp_pos + 1]
    t = buf[comp_pos + 1:comp_pos + 2]
    rep = buf[seps[10] + 1:seps[11]]
    if c.isalnum() or t.isalnum() or len({e, c, t}) != 3 or c in b"\r\n":
        raise X12Error("invalid delimiters in ISA (ISA16 / segment terminator)",
                       file=file, segment_index=index, offset=pos)
    r = rep.decode("latin-1") if len(rep) == 1 and not rep.isalnum() and rep not in (e, c, t) else ""
    d = Delimiters(e.decode("latin-1"), c.decode("latin-1"), r, t.decode("latin-1"))
    return d, comp_pos + 2


def iter_segments(source, name: str | None = None, chunk_size: int = 1 << 20) -> Iterator[Segment]:
    """Stream the segments of ``source`` (bytes, path, pathlib.Path or binary file object)."""
    fh, close, name = _open(source, name)
    try:
        yield from _iter(fh, name, max(chunk_size, 512))
    finally:
        if close:
            fh.close()


def _read(fh, n, name):
    try:
        data = fh.read(n)
    except OSError as exc:
        raise X12Error(f"read error: {exc}", file=name) from None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data or b""


def _iter(fh, name, chunk_size) -> Iterator[Segment]:
    buf = b""
    base = 0          # file offset of buf[0]
    eof = False
    delims: Delimiters | None = None
    term = b""
    esep = "*"
    index = 0
    in_interchange = False
    seen_any = False
    Seg = Segment
    while True:
        if not eof and (delims is None or term not in buf or len(buf) < 512):
            data = _read(fh, chunk_size, name)
            if data:
                buf += data
            else:
                eof = True
        if delims is None:
            # find the start of the next ISA (only whitespace/BOM may precede it)
            stripped = buf.lstrip(_WS)
            skip = len(buf) - len(stripped)
            if not stripped:
                if eof:
                    if not seen_any:
                        raise X12Error("empty input: no ISA segment", file=name)
                    return
                base += skip
                buf = b""
                continue
            if len(stripped) < 200 and not eof:
                continue
            if not stripped.startswith(b"ISA"):
                raise X12Error("not an X12 interchange: expected ISA" if not seen_any
                               else "data after IEA is not a new ISA",
                               file=name, segment_index=index + 1, offset=base + skip)
            delims, _ = detect_delimiters(stripped, 0, file=name, index=index + 1)
            base += skip
            buf = stripped
            term = delims.segment.encode("latin-1")
            esep = delims.element
            seen_any = True
        # split what we have into complete segments
        last = buf.rfind(term)
        if last < 0:
            if eof:
                tail = buf.strip(_WS)
                if tail:
                    raise X12Error("segment terminator missing at end of file", file=name,
                                   segment_index=index + 1, offset=base)
                return
            if len(buf) > 64 * chunk_size + (1 << 24):
                raise X12Error("segment longer than the read buffer; wrong terminator?",
                               file=name, segment_index=index + 1, offset=base)
            continue
        head = buf[:last]
        rest_start = last + 1
        pos = 0
        restart = False
        good = _GOOD_TAGS
        Lazy = _LazySegment
        if head.isascii():
            # fast path: decode the whole chunk once; char offsets equal byte offsets
            text_all = head.decode("ascii")
            ts = delims.segment
            n_term = text_all.count(ts)
            if ts != "\n" and n_term == text_all.count(ts + "\n"):
                sep, seplen, clean = ts + "\n", len(ts) + 1, True
            elif ts != "\r" and n_term == text_all.count(ts + "\r\n"):
                sep, seplen, clean = ts + "\r\n", len(ts) + 2, True
            elif "\n" not in text_all and "\r" not in text_all:
                sep, seplen, clean = ts, len(ts), True
            else:
                sep, seplen, clean = ts, len(ts), False
            parts = text_all.split(sep)
            ws = _WS_S
        else:
            parts = head.split(term)
            ws = _WS
            seplen = 1
            clean = False
        for part in parts:
            plen = len(part)
            if clean:
                if not part:
                    pos += seplen
                    continue
                text = part
                lead = 0
                if part[0] in ws or part[-1] in ws:
                    text = part.strip(ws)
                    if not text:
                        pos += plen + seplen
                        continue
                    lead = part.index(text[0])
            else:
                seg = part.strip(ws)
                if not seg:
                    pos += plen + seplen
                    continue
                lead = 0 if len(seg) == plen or part[0] not in ws else part.index(seg[0])
                text = seg if ws is _WS_S else seg.decode("utf-8", "replace")
            off = base + pos + lead
            index += 1
            j = text.find(esep)
            tag = text[:j] if j >= 0 else text
            if tag == "ISA" or (not in_interchange and text[:3] == "ISA"):
                # a new interchange: re-read its delimiters
                abs_pos = pos + lead
                if abs_pos + 200 > len(buf) and not eof:
                    # not enough data to be sure: re-read from here with more data
                    index -= 1
                    buf = buf[abs_pos:]
                    base += abs_pos
                    delims = None
                    restart = True
                    break
                nd, _ = detect_delimiters(buf, abs_pos, file=name, index=index)
                if nd != delims:
                    index -= 1
                    buf = buf[abs_pos:]
                    base += abs_pos
                    delims = None
                    restart = True
                    break
                in_interchange = True
            elif not in_interchange:
                raise X12Error(f"segment {tag[:10]!r} outside an interchange (expected ISA)",
                               file=name, segment_index=index, offset=off)
            elif tag == "IEA":
                in_interchange = False
            if tag not in good:
                if not (2 <= len(tag) <= 3) or not tag.isalnum() or not tag.isascii():
                    raise X12Error(f"invalid segment id {tag[:10]!r}", file=name,
                                   segment_index=index, offset=off)
                good.add(tag)
            yield Lazy(tag, text, index, off, delims)
            pos += plen + seplen
        if restart:
            continue
        base += rest_start
        buf = buf[rest_start:]
        if eof and term not in buf:
            tail = buf.strip(_WS)
            if tail:
                if in_interchange and tail[:3].isalnum():
                    # a last segment without terminator: accept it
                    index += 1
                    text = tail.decode("utf-8", "replace")
                    els = text.split(esep)
                    tag = els[0]
                    if not (2 <= len(tag) <= 3) or not tag.isalnum() or not tag.isascii():
                        raise X12Error(f"invalid segment id {tag[:10]!r}", file=name,
                                       segment_index=index, offset=base)
                    del els[0]
                    yield Seg(tag, els, index, base + len(buf) - len(buf.lstrip(_WS)), delims)
                    return
                if tail.startswith(b"ISA"):
                    delims = None
                    continue
                raise X12Error("segment terminator missing at end of file", file=name,
                               segment_index=index + 1, offset=base)
            return


# --------------------------------------------------------------------------- envelopes

@dataclass
class TransactionSet:
    type: str
    control_number: str
    version: str
    header: Segment
    segments: list[Segment] = field(default_factory=list)   # body: between ST and SE
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)
    group: "FunctionalGroup | None" = field(default=None, repr=False)


@dataclass
class FunctionalGroup:
    functional_id: str
    sender: str
    receiver: str
    control_number: str
    version: str
    date: str
    time: str
    header: Segment
    transactions: list[TransactionSet] = field(default_factory=list)
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)
    interchange: "Interchange | None" = field(default=None, repr=False)


@dataclass
class Interchange:
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    control_number: str
    version: str
    usage_indicator: str
    delimiters: Delimiters
    header: Segment
    groups: list[FunctionalGroup] = field(default_factory=list)
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)

    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for g in self.groups:
            out += g.findings
            for t in g.transactions:
                out += t.findings
        return out


def _w(code, msg, seg: Segment | None, name, element=None) -> Finding:
    return Finding("warning", code, msg, seg.tag if seg else None, seg.index if seg else None,
                   element, name)


def iter_transactions(source, name: str | None = None, *, keep: bool = False,
                      chunk_size: int = 1 << 20) -> Iterator[TransactionSet]:
    """Stream transaction sets; each has ``.group`` and ``.group.interchange``.

    With ``keep=False`` parents do not accumulate children (flat memory for huge files).
    Envelope findings of groups/interchanges are available on those objects once their
    trailer was read.
    """
    fh, close, name = _open(source, name)
    try:
        yield from _transactions(_iter(fh, name, max(chunk_size, 512)), name, keep)
    finally:
        if close:
            fh.close()


def _transactions(segs, name, keep, isas=None) -> Iterator[TransactionSet]:
    isa: Interchange | None = None
    gs: FunctionalGroup | None = None
    st: TransactionSet | None = None
    gs_count = 0
    isa_count = 0
    for seg in segs:
        tag = seg.tag
        if st is not None and tag not in ("SE", "ST", "GE", "IEA", "GS", "ISA"):
            st.segments.append(seg)
            continue
        if tag == "ISA":
            if isa is not None and isa.trailer is None:
                isa.findings.append(_w("missing_iea", "interchange not closed by IEA", seg, name))
            if st is not None:
                st.findings.append(_w("missing_se", "transaction set not closed by SE", seg, name))
                yield st
                st = None
            gs = None
            if len(seg.elements) < 16:
                raise X12Error("ISA segment too short", file=name, segment_index=seg.index, offset=seg.offset)
            e = seg.elements
            isa = Interchange(e[4].strip(), e[5].strip(), e[6].strip(), e[7].strip(), e[8], e[9],
                              e[12].strip(), e[11], e[14].strip(), seg.delimiters, seg)
            isa_count = 0
            if isas is not None:
                isas.append(isa)
            if len(seg.elements[12]) != 9 or not seg.elements[12].isdigit():
                isa.findings.append(_w("isa13", "ISA13 control number is not 9 digits", seg, name, "ISA13"))
        elif tag == "IEA":
            if isa is None:
                raise X12Error("IEA without ISA", file=name, segment_index=seg.index, offset=seg.offset)
            if st is not None:
                st.findings.append(_w("missing_se", "transaction set not closed by SE", seg, name))
                yield st
                st = None
            if gs is not None and gs.trailer is None:
                gs.findings.append(_w("missing_ge", "functional group not closed by GE", seg, name))
            isa.trailer = seg
            if seg.el(1) != str(isa_count):
                isa.findings.append(_w("iea01_count", f"IEA01 says {seg.el(1)} groups, found {isa_count}",
                                       seg, name, "IEA01"))
            if seg.el(2).strip() != isa.control_number:
                isa.findings.append(_w("iea02_control", f"IEA02 {seg.el(2)} does not match ISA13 {isa.control_number}",
                                       seg, name, "IEA02"))
            gs = None
        elif tag == "GS":
            if isa is None:
                raise X12Error("GS outside an interchange", file=name, segment_index=seg.index, offset=seg.offset)
            if st is not None:
                st.findings.append(_w("missing_se", "transaction set not closed by SE", seg, name))
                yield st
                st = None
            gs = FunctionalGroup(seg.el(1), seg.el(2), seg.el(3), seg.el(6), seg.el(8), seg.el(4),
                                 seg.el(5), seg, interchange=isa)
            isa_count += 1
            if keep:
                isa.groups.append(gs)
            gs_count = 0
        elif tag == "GE":
            if st is not None:
                st.findings.append(_w("missing_se", "transaction set not closed by SE", seg, name))
                yield st
                st = None
            if gs is None:
                if isa is not None:
                    isa.findings.append(_w("ge_without_gs", "GE without GS", seg, name))
                continue
            gs.trailer = seg
            if seg.el(1) != str(gs_count):
                gs.findings.append(_w("ge01_count", f"GE01 says {seg.el(1)} transaction sets, found {gs_count}",
                                      seg, name, "GE01"))
            if seg.el(2) != gs.control_number:
                gs.findings.append(_w("ge02_control", f"GE02 {seg.el(2)} does not match GS06 {gs.control_number}",
                                      seg, name, "GE02"))
            gs = None
        elif tag == "ST":
            if st is not None:
                st.findings.append(_w("missing_se", "transaction set not closed by SE", seg, name))
                yield st
            if gs is None:
                if isa is None:
                    raise X12Error("ST outside an interchange", file=name, segment_index=seg.index, offset=seg.offset)
                gs = FunctionalGroup("", "", "", "", "", "", "", seg, interchange=isa)
                gs.findings.append(_w("missing_gs", "ST without a GS functional group", seg, name))
                if keep:
                    isa.groups.append(gs)
                isa_count += 1
            st = TransactionSet(seg.el(1), seg.el(2), seg.el(3) or gs.version, seg, group=gs)
            if seg.el(3) and gs.version and seg.el(3) != gs.version:
                st.findings.append(_w("st03_version", f"ST03 {seg.el(3)} differs from GS08 {gs.version}",
                                      seg, name, "ST03"))
            gs_count += 1
            if keep:
                gs.transactions.append(st)
        elif tag == "SE":
            if st is None:
                if isa is not None:
                    isa.findings.append(_w("se_without_st", "SE without ST", seg, name))
                continue
            st.trailer = seg
            n = len(st.segments) + 2
            if seg.el(1) != str(n):
                st.findings.append(_w("se01_count", f"SE01 says {seg.el(1)} segments, counted {n}",
                                      seg, name, "SE01"))
            if seg.el(2) != st.control_number:
                st.findings.append(_w("se02_control", f"SE02 {seg.el(2)} does not match ST02 {st.control_number}",
                                      seg, name, "SE02"))
            yield st
            st = None
        else:
            # a segment between envelopes
            if isa is not None:
                isa.findings.append(_w("outside_st", f"segment {tag} outside a transaction set", seg, name))
    if st is not None:
        st.findings.append(_w("missing_se", "transaction set not closed by SE", None, name))
        yield st
    if gs is not None and gs.trailer is None:
        gs.findings.append(_w("missing_ge", "functional group not closed by GE", None, name))
    if isa is not None and isa.trailer is None:
        isa.findings.append(_w("missing_iea", "interchange not closed by IEA", None, name))


def read_interchanges(source, name: str | None = None) -> list[Interchange]:
    """Read a whole file into Interchange → FunctionalGroup → TransactionSet objects."""
    out: list[Interchange] = []
    fh, close, name = _open(source, name)
    try:
        for _ in _transactions(_iter(fh, name, 1 << 20), name, True, out):
            pass
    finally:
        if close:
            fh.close()
    return out
