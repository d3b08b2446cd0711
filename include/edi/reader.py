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
from itertools import accumulate, count, repeat
from operator import add, itemgetter
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
        els = self._raw.split(self.delimiters.element)
        del els[0]
        _ELEMENTS.__set__(self, els)
        self.__class__ = _SplitSegment   # from now on ``elements`` is a plain slot read
        return els

    @elements.setter
    def elements(self, value: list[str]) -> None:
        _ELEMENTS.__set__(self, value)
        self.__class__ = _SplitSegment

    def __eq__(self, other):
        if not isinstance(other, Segment):
            return NotImplemented
        return (self.tag, self.elements, self.index, self.offset, self.delimiters) == (
            other.tag, other.elements, other.index, other.offset, other.delimiters)

    __hash__ = None  # type: ignore[assignment]


class _SplitSegment(_LazySegment):
    """A _LazySegment after its first split (same layout; the class is swapped in place)."""

    __slots__ = ()
    elements = _ELEMENTS  # type: ignore[assignment]


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
    return _iter(None, name, max(chunk_size, 512), source)


def _read(fh, n, name):
    try:
        data = fh.read(n)
    except OSError as exc:
        raise X12Error(f"read error: {exc}", file=name) from None
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data or b""


_WS_BYTES = frozenset(_WS)
_ISA_SPAN = 400   # bytes an ISA may need to be read (detect_delimiters' limit)


def _interchange_end(buf: bytes, pos: int, end: int, term: int, delims: Delimiters, eof: bool,
                     start: int | None = None) -> tuple[int, Delimiters | None]:
    """Where the segments in ``buf[pos:end]`` stop sharing ``delims``: the start of the first
    ISA from ``start`` (default ``pos``) on, at a segment start, whose delimiters differ, cannot
    be read yet, or are malformed; ``end`` when there is none. Also that ISA's delimiters when
    they were read (the caller need not read them again), else None. One forward scan with
    ``bytes.find``: each byte is looked at a bounded number of times, so the reader stays linear
    whatever the delimiters."""
    k = pos if start is None else start
    ws = _WS_BYTES
    while True:
        j = buf.find(b"ISA", k, end)
        if j < 0:
            return end, None
        k = j + 3
        q = j
        while q > pos and buf[q - 1] in ws and buf[q - 1] != term:
            q -= 1
        if q != pos and buf[q - 1] != term:
            continue            # "ISA" inside data (e.g. a name), not a segment
        if not eof and len(buf) - j < _ISA_SPAN:
            return j, None      # read more before deciding
        try:
            nd, _ = detect_delimiters(buf, j)
        except X12Error:
            return j, None      # reported with its segment index when reached
        if nd != delims:
            return j, nd


def _iter(fh, name, chunk_size, source=None) -> Iterator[Segment]:
    """The tokenizer; with ``source`` it opens (and closes) the input itself, so that
    ``iter_segments`` adds no generator layer per segment."""
    close = False
    if source is not None:
        fh, close, name = _open(source, name)
    try:
        buf = b""
        pos = 0           # start of the unread part of buf (always a segment start or whitespace)
        base = 0          # file offset of buf[0]
        eof = False
        delims: Delimiters | None = None
        term = b""
        esep = "*"
        index = 0
        in_interchange = False
        seen_any = False
        ws_bytes = _WS_BYTES
        good = _GOOD_TAGS
        Lazy = _LazySegment
        need_more = True
        # (file offset, delimiters) of an ISA whose delimiters were read already: the next one, found
        # by _interchange_end, or the current one, so neither is read again (alternating delimiters
        # would otherwise read each ISA three times)
        next_isa: tuple[int, Delimiters] | None = None
        current_isa = -1
        while True:
            if need_more and not eof:
                need_more = False
                data = _read(fh, chunk_size, name)
                if data:
                    # the only copy of unread bytes: once per chunk read, of a partial segment or ISA
                    buf = buf[pos:] + data if pos < len(buf) else data
                    base += pos
                    pos = 0
                else:
                    eof = True
            need_more = False
            n = len(buf)
            if delims is None:
                # the start of the next ISA (only whitespace/BOM may precede it)
                while pos < n and buf[pos] in ws_bytes:
                    pos += 1
                if pos >= n:
                    if eof:
                        if not seen_any:
                            raise X12Error("empty input: no ISA segment", file=name)
                        return
                    need_more = True
                    continue
                if n - pos < _ISA_SPAN and not eof:
                    need_more = True
                    continue
                if buf[pos:pos + 3] != b"ISA":
                    raise X12Error("not an X12 interchange: expected ISA" if not seen_any
                                   else "data after IEA is not a new ISA",
                                   file=name, segment_index=index + 1, offset=base + pos)
                if next_isa is not None and next_isa[0] == base + pos:
                    delims = next_isa[1]
                else:
                    try:
                        delims, _ = detect_delimiters(buf, pos, file=name, index=index + 1)
                    except X12Error as exc:     # the offset in the file, not in the buffer
                        raise X12Error(exc.message, file=name, segment_index=index + 1, offset=base + pos) from None
                next_isa, current_isa = None, base + pos
                term = delims.segment.encode("latin-1")
                esep = delims.element
                seen_any = True
            while pos < n and buf[pos] in ws_bytes:      # the line break after the last terminator
                pos += 1
            last = buf.rfind(term, pos)
            if last < 0:
                if not eof:
                    if n - pos > 64 * chunk_size + (1 << 24):
                        raise X12Error("segment longer than the read buffer; wrong terminator?",
                                       file=name, segment_index=index + 1, offset=base + pos)
                    need_more = True
                    continue
                tail = buf[pos:].strip(_WS)
                if not tail:
                    return
                if tail.startswith(b"ISA"):
                    delims = None
                    continue
                raise X12Error("segment terminator missing at end of file", file=name,
                               segment_index=index + 1, offset=base + pos)
            # the segments up to the last terminator, or up to an ISA with other delimiters
            stop, found = _interchange_end(buf, pos, last + 1, term[0], delims, eof,
                                           pos + 3 if base + pos == current_isa else None)
            if found is not None:
                next_isa = (base + stop, found)
            if stop == pos:         # an ISA with other delimiters right here: read them
                delims = None
                continue
            if stop <= last:
                q = stop
                while buf[q - 1] in ws_bytes and buf[q - 1] != term[0]:
                    q -= 1
                head = buf[pos:q - 1]          # buf[q - 1] is the terminator before that ISA
                next_pos = stop
            else:
                head = buf[pos:last]
                next_pos = last + 1
            hbase = base + pos
            hpos = 0
            if head.isascii():
                # fast path: decode the whole region once; char offsets equal byte offsets
                text_all = head.decode("ascii")
                ts = delims.segment
                n_term = text_all.count(ts)
                if ts != "\n" and n_term == text_all.count(ts + "\n"):
                    sep = ts + "\n"
                elif ts != "\r" and n_term == text_all.count(ts + "\r\n"):
                    sep = ts + "\r\n"
                elif "\n" not in text_all and "\r" not in text_all:
                    sep = ts
                else:
                    sep = None
                if sep is not None and not _edges_have_ws(text_all, sep):
                    # every segment is clean: tags, offsets and objects made by C-level maps
                    parts = text_all.split(sep)
                    tags = _tags(parts, esep)
                    offsets = accumulate(map(add, map(len, parts), repeat(len(sep))), initial=hbase)
                    was_open = in_interchange
                    bad, in_interchange = _envelope_check(tags, in_interchange)
                    if bad is not None:
                        tag = tags[bad]
                        outside = tag != "ISA" and (tags[bad - 1] == "IEA" if bad else not was_open)
                        yield from map(Lazy, tags[:bad], parts, count(index + 1), offsets, repeat(delims))
                        off = hbase + sum(map(len, parts[:bad])) + bad * len(sep)
                        index += bad + 1
                        if outside:
                            raise X12Error(f"segment {tag[:10]!r} outside an interchange (expected ISA)",
                                           file=name, segment_index=index, offset=off)
                        raise X12Error(f"invalid segment id {tag[:10]!r}", file=name, segment_index=index, offset=off)
                    yield from map(Lazy, tags, parts, count(index + 1), offsets, repeat(delims))
                    index += len(parts)
                    pos = next_pos
                    if stop <= last:
                        delims = None
                    continue
                parts = text_all.split(ts)
                ws = _WS_S
                seplen = len(ts)
            else:
                parts = head.split(term)
                ws = _WS
                seplen = 1
            for part in parts:
                plen = len(part)
                seg = part.strip(ws)
                if not seg:
                    hpos += plen + seplen
                    continue
                lead = 0 if len(seg) == plen or part[0] not in ws else part.index(seg[0])
                text = seg if ws is _WS_S else seg.decode("utf-8", "replace")
                off = hbase + hpos + lead
                index += 1
                j = text.find(esep)
                tag = text[:j] if j >= 0 else text
                if tag == "ISA":
                    in_interchange = True
                elif not in_interchange:
                    raise X12Error(f"segment {tag[:10]!r} outside an interchange (expected ISA)",
                                   file=name, segment_index=index, offset=off)
                elif tag == "IEA":
                    in_interchange = False
                if tag not in good:
                    _check_tag(tag, name, index, off)
                yield Lazy(tag, text, index, off, delims)
                hpos += plen + seplen
            pos = next_pos
            if stop <= last:
                delims = None


    finally:
        if close:
            fh.close()



_first = itemgetter(0)
_PREFIX = itemgetter(slice(0, 4))


def _tags(parts: list[str], esep: str) -> list[str]:
    """Each segment's id (the text before the first element separator).  Ids are 2-3
    characters, so the first four characters decide it: a few distinct prefixes are looked
    up, not every segment partitioned (an id longer than 3 is invalid: the slow way)."""
    prefixes = list(map(_PREFIX, parts))
    table = {}
    for p in set(prefixes):
        if esep in p:
            table[p] = p.partition(esep)[0]
        elif len(p) < 4:
            table[p] = p
        else:
            return list(map(_first, map(str.partition, parts, repeat(esep))))
    return list(map(table.__getitem__, prefixes))


def _valid_tag(tag: str) -> bool:
    if tag in _GOOD_TAGS:
        return True
    if 2 <= len(tag) <= 3 and tag.isalnum() and tag.isascii():
        _GOOD_TAGS.add(tag)
        return True
    return False


def _envelope_check(tags: list[str], in_interchange: bool) -> tuple[int | None, bool]:
    """(position of the first segment with an invalid id or outside an interchange, or None;
    whether an interchange is open after ``tags``).  Only the ISA/IEA positions are visited."""
    bad = None
    for t in set(tags) - _GOOD_TAGS:
        if not _valid_tag(t):
            i = tags.index(t)
            bad = i if bad is None else min(bad, i)
    if not tags:
        return bad, in_interchange
    if not in_interchange and tags[0] != "ISA":
        return 0, in_interchange
    i = -1
    n = len(tags)
    while True:
        try:
            i = tags.index("IEA", i + 1)
        except ValueError:
            break
        if i + 1 < n and tags[i + 1] != "ISA":
            bad = i + 1 if bad is None else min(bad, i + 1)
            break
    return bad, tags[-1] != "IEA"


def _edges_have_ws(text: str, sep: str) -> bool:
    """Whether any segment of ``text.split(sep)`` is empty or starts/ends with whitespace
    (then the careful per-segment path strips it); a few C-level scans of the text."""
    if not text or text[0] in _WS_S or text[-1] in _WS_S or sep + sep in text:
        return True
    if text.startswith(sep) or text.endswith(sep):
        return True
    return any(c in text and (c + sep in text or sep + c in text) for c in _WS_S)


def _check_tag(tag: str, name, index: int, off: int) -> None:
    if not (2 <= len(tag) <= 3) or not tag.isalnum() or not tag.isascii():
        raise X12Error(f"invalid segment id {tag[:10]!r}", file=name, segment_index=index, offset=off)
    _GOOD_TAGS.add(tag)


# --------------------------------------------------------------------------- envelopes

@dataclass(kw_only=True)
class _Envelope:
    """What every envelope level (ST/SE, GS/GE, ISA/IEA) holds besides its own ids: its header
    segment, its trailer once read, and the warning findings about it."""

    header: Segment
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class TransactionSet(_Envelope):
    type: str
    control_number: str
    version: str
    segments: list[Segment] = field(default_factory=list)   # body: between ST and SE
    group: "FunctionalGroup | None" = field(default=None, repr=False)


@dataclass
class FunctionalGroup(_Envelope):
    functional_id: str
    sender: str
    receiver: str
    control_number: str
    version: str
    date: str
    time: str
    transactions: list[TransactionSet] = field(default_factory=list)
    interchange: "Interchange | None" = field(default=None, repr=False)


@dataclass
class Interchange(_Envelope):
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
    groups: list[FunctionalGroup] = field(default_factory=list)

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
                              e[12].strip(), e[11], e[14].strip(), seg.delimiters, header=seg)
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
                                 seg.el(5), header=seg, interchange=isa)
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
                gs = FunctionalGroup("", "", "", "", "", "", "", header=seg, interchange=isa)
                gs.findings.append(_w("missing_gs", "ST without a GS functional group", seg, name))
                if keep:
                    isa.groups.append(gs)
                isa_count += 1
            st = TransactionSet(seg.el(1), seg.el(2), seg.el(3) or gs.version, header=seg, group=gs)
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
