"""Write X12 interchanges: fixed-width ISA, correct SE01/GE01/IEA01 counts,
no trailing empty elements or components."""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, Sequence

from .reader import Delimiters

DEFAULT = Delimiters("*", ":", "^", "~")

# A segment is a list: [tag, el1, el2, ...]; an element is a str / number / None or a
# list (composite: components) — a list of lists is a repeated composite.


def fmt_amount(v) -> str:
    """Money/quantity as X12 R: no trailing zeros needed, no exponent ('12.5', '100')."""
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return v
    d = Decimal(v) if not isinstance(v, Decimal) else v
    s = str(d)
    # the usual amount, plain with a fraction ('125.00', '12.50', NUMERIC's scale): the same text as below
    # without two Decimal operations (short enough that neither below would round or overflow)
    if "." in s and len(s) <= 28 and "E" not in s and "e" not in s:
        return s.rstrip("0").rstrip(".")
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def fmt_date(d) -> str:
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        return d.replace("-", "")
    return _d8(d)


@lru_cache(maxsize=4096)
def _d8(d) -> str:
    """CCYYMMDD of a date; a file's dates repeat (service and adjudication dates): each is formatted once."""
    return d.strftime("%Y%m%d")


def _el(v, d: Delimiters) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):  # repeated composite
            return d.repetition.join(_el(x, d) for x in v)
        comps = [_el(x, d) for x in v]
        while comps and comps[-1] == "":
            comps.pop()
        return d.component.join(comps)
    if isinstance(v, Decimal):
        return fmt_amount(v)
    if isinstance(v, (_dt.date,)):
        return fmt_date(v)
    return str(v)


_ONLY_STR = {str}


def segment_text(seg: Sequence, d: Delimiters = DEFAULT, index: int | None = None) -> str:
    """One segment's text (without terminator).  Raises DelimiterInDataError when a value
    holds one of ``d``'s delimiters (``index``: the segment's position, for the error)."""
    # most segments hold only str: one C-level join and the same counts as below, with no
    # component or repetition separator of the writer's own (exact str only: a subclass may
    # write itself otherwise through str())
    if set(map(type, seg)) == _ONLY_STR:
        sep = d.element
        n = len(seg)
        if seg[-1] == "":
            while n > 1 and seg[n - 1] == "":
                n -= 1
            text = sep.join(seg[:n])
        else:
            text = sep.join(seg)
        rep = d.repetition
        if (text.count(sep) != n - 1 or d.segment in text or d.component in text
                or (rep and rep in text)):
            _refuse(seg, d, index)
        return text
    return _segment_text(seg, d, index)


def _segment_text(seg: Sequence, d: Delimiters, index: int | None) -> str:
    """``segment_text`` for segments with composites or non-str values."""
    comp = d.component
    rep = d.repetition
    els = []
    joins = 0       # component and repetition separators put in by the writer itself
    for v in seg:
        if v.__class__ is str:
            els.append(v)
        elif isinstance(v, (list, tuple)):
            repeated = bool(v) and isinstance(v[0], (list, tuple))
            if not repeated and v and set(map(type, v)) == _ONLY_STR:
                # a composite of str (the usual one): the loop below without a call per component
                k = len(v)
                while k and v[k - 1] == "":
                    k -= 1
                if k:
                    joins += k - 1
                els.append(comp.join(v[:k]))
                continue
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
    # C-level counts: the element separators are exactly the joins, no terminator anywhere,
    # and component/repetition characters only where composites were joined
    if (text.count(d.element) != len(els) - 1 or d.segment in text
            or (text.count(comp) + (text.count(rep) if rep else 0)) != joins):
        _refuse(seg, d, index)
    return text


def _refuse(seg: Sequence, d: Delimiters, index: int | None) -> None:
    """Find the value holding a delimiter and raise DelimiterInDataError for it."""
    from .errors import DelimiterInDataError
    tag = str(seg[0])
    checks = [("element", d.element), ("segment", d.segment), ("component", d.component)]
    if d.repetition:
        checks.append(("repetition", d.repetition))

    def check(value, element, component=None):
        text = _el(value, d)
        for kind, ch in checks:
            if ch in text:
                raise DelimiterInDataError(tag, element, kind, ch, component=component, segment_index=index)

    for i, v in enumerate(seg[1:], 1):
        if isinstance(v, (list, tuple)):
            for rep in (v if v and isinstance(v[0], (list, tuple)) else [v]):
                for j, comp in enumerate(rep, 1):
                    check(comp, i, j)
        else:
            check(v, i)


class X12Writer:
    """Accumulate segments of one interchange; ``build_interchange`` is the usual entry."""

    def __init__(self, delimiters: Delimiters = DEFAULT, line_breaks: bool = False):
        self.d = delimiters
        self.sep = delimiters.segment + ("\n" if line_breaks else "")
        self.out: list[str] = []

    def add(self, seg: Sequence) -> None:
        """Append a segment; DelimiterInDataError when a value holds a delimiter."""
        self.out.append(segment_text(seg, self.d, len(self.out) + 1) + self.sep)

    def add_raw(self, text: str) -> None:
        self.out.append(text + self.sep)

    def getvalue(self) -> bytes:
        return "".join(self.out).encode("utf-8")


def isa_segment(sender_id, receiver_id, control_number, *, d: Delimiters = DEFAULT,
                usage_indicator="P", when: _dt.datetime | None = None,
                sender_qualifier="ZZ", receiver_qualifier="ZZ", ack_requested="0") -> str:
    when = when or _dt.datetime.now()
    cn = int(control_number)
    if not 0 <= cn <= 999999999:
        raise ValueError("ISA13 must fit in 9 digits")
    els = ["ISA", "00", " " * 10, "00", " " * 10, sender_qualifier.ljust(2)[:2],
           str(sender_id).ljust(15)[:15], receiver_qualifier.ljust(2)[:2],
           str(receiver_id).ljust(15)[:15], when.strftime("%y%m%d"), when.strftime("%H%M"),
           d.repetition or "U", "00501", f"{cn:09d}", ack_requested, usage_indicator, d.component]
    text = d.element.join(els)
    assert len(text) + 1 == 106, len(text)
    return text


def build_interchange(sender_id: str, receiver_id: str, interchange_control_number: int,
                      groups: Iterable, delimiters: Delimiters = DEFAULT, usage_indicator: str = "P",
                      date: _dt.datetime | None = None, line_breaks: bool = False,
                      sender_qualifier: str = "ZZ", receiver_qualifier: str = "ZZ",
                      layout: dict | None = None) -> bytes:
    """Build one interchange.

    ``groups``: iterable of ``(functional_id_code, gs_sender, gs_receiver, group_control_number,
    version, transactions)``; ``transactions``: iterable of ``(st_type, st_control_number,
    segments)``; segments are lists ``[tag, el1, ...]`` (composites as nested lists), without
    ST/SE (added here with the right count).

    ``layout`` (a dict), when given, receives ``segments``: every segment's text with its
    terminator, in file order, and ``body_starts``: for each transaction set, the index there of
    its first body segment (the one after ST); a builder maps its own segments to offsets with it.
    """
    when = date or _dt.datetime.now()
    w = X12Writer(delimiters, line_breaks)
    body_starts: list[int] = []
    w.add_raw(isa_segment(sender_id, receiver_id, interchange_control_number, d=delimiters,
                          usage_indicator=usage_indicator, when=when,
                          sender_qualifier=sender_qualifier, receiver_qualifier=receiver_qualifier))
    ngroups = 0
    for fic, gs_sender, gs_receiver, gcn, version, transactions in groups:
        ngroups += 1
        w.add(["GS", fic, gs_sender, gs_receiver, when.strftime("%Y%m%d"), when.strftime("%H%M"),
               str(int(gcn)), "X", version])
        nst = 0
        for st_type, st_cn, segments in transactions:
            nst += 1
            stcn = str(st_cn).zfill(4)
            # ST03 is "not used" in the 835 guide; required in the other 5010 guides
            st03 = version if version.startswith("005010") and st_type != "835" else ""
            w.add(["ST", st_type, stcn, st03])
            body_starts.append(len(w.out))
            n = 1
            for seg in segments:
                w.add(seg)
                n += 1
            w.add(["SE", str(n + 1), stcn])
        w.add(["GE", str(nst), str(int(gcn))])
    w.add(["IEA", str(ngroups), f"{int(interchange_control_number):09d}"])
    if layout is not None:
        layout.update(segments=w.out, body_starts=body_starts)
    return w.getvalue()
