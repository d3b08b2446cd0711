"""Validate X12 with pyx12 (837P/835/277CA/999 …) or own structural checks (270/271/276/277).

``validate_x12(data, name=None) -> list[Finding]``.  Envelope findings from the reader are
always included.  Files carrying the erratum version 005010X222A2 are validated with the
005010X222A1 map (rewritten in memory) and get a warning.
"""
from __future__ import annotations

import io
import json
import logging
import threading

from .errors import Finding, X12Error
from .reader import Interchange, TransactionSet, read_interchanges
from .registry import TRANSACTIONS, VERSION_ALIASES, read_as

# versions pyx12 4.0 has 5010 maps for: the registry's entries that name a map, and three
# transactions this toolkit does not read (837I, 834, 820) that pyx12 still validates
PYX12_VERSIONS = {t.version for t in TRANSACTIONS if t.pyx12_map} | {"005010X223A2", "005010X220A1", "005010X218"}
# the registry's entries pyx12 has no map for: checked by structural_findings (loop schema)
OWN_CHECK_VERSIONS = {t.version for t in TRANSACTIONS if t.pyx12_map is None}

_lock = threading.Lock()
_patched = False


def _quiet_pyx12():
    global _patched
    lg = logging.getLogger("pyx12")
    lg.setLevel(logging.CRITICAL + 10)
    lg.propagate = False
    if not lg.handlers:
        lg.addHandler(logging.NullHandler())
    if _patched:
        return
    # cache parsed maps: loading an implementation-guide XML map dominates small-file time
    import pyx12.map_if
    orig = pyx12.map_if.load_map_file
    cache: dict = {}

    def cached(map_file, param, map_path=None):
        key = (map_file, map_path)
        m = cache.get(key)
        if m is None:
            m = cache[key] = orig(map_file, param, map_path)
        return m

    pyx12.map_if.load_map_file = cached
    _patched = True


def _pyx12_findings(text: str, name: str | None) -> list[Finding]:
    import pyx12.params
    import pyx12.x12n_document
    _quiet_pyx12()
    out = io.StringIO()
    param = pyx12.params.params()
    envelope_errors: list[Finding] = []

    def callback(seg, src, node, valid):
        # pyx12's JSON output skips element errors on envelope segments (ISA/GS/ST/SE/GE/IEA)
        sid = seg.get_seg_id()
        if sid in ("ISA", "GS", "ST", "SE", "GE", "IEA") and node is not None:
            try:
                _ok, errs = node.is_valid_errors(seg)
            except Exception:
                return
            for e in errs:
                envelope_errors.append(Finding("error", f"pyx12:{e.err_cde}", e.err_str or "", sid,
                                               src.get_cur_line(), None, name))

    with _lock:
        try:
            ok = pyx12.x12n_document.x12n_document(param, io.StringIO(text), None, None, None, fd_json=out,
                                                   callback=callback)
        except Exception as exc:  # pyx12 raising is itself a finding
            return [Finding("error", "pyx12", f"pyx12 could not validate: {exc}", file=name)]
    findings: list[Finding] = list(envelope_errors)
    try:
        doc = json.loads(out.getvalue() or "{}")
    except ValueError:
        doc = {}

    def add(level_errors, seg=None, seg_index=None, element=None):
        for e in level_errors:
            findings.append(Finding("error", f"pyx12:{e.get('err_cde')}", e.get("err_str") or "",
                                    seg, seg_index, element, name))

    for isa in doc.get("interchanges", []):
        add(isa.get("errors", []), "ISA")
        for gs in isa.get("groups", []):
            add(gs.get("errors", []), "GS")
            for st in gs.get("transactions", []):
                add(st.get("errors", []), "ST")
                for seg in st.get("segments", []):
                    sid = seg.get("seg_id")
                    idx = seg.get("cur_line")
                    add(seg.get("errors", []), sid, idx)
                    for ele in seg.get("elements", []):
                        pos = ele.get("ele_pos")
                        el = f"{sid}{int(pos):02d}" if isinstance(pos, int) else None
                        if el and ele.get("subele_pos"):
                            el += f"-{ele['subele_pos']}"
                        for e in ele.get("errors", []):
                            msg = e.get("err_str") or ""
                            if e.get("err_val"):
                                msg += f" (value {e['err_val']!r})"
                            findings.append(Finding("error", f"pyx12:{e.get('err_cde')}", msg, sid, idx, el, name))
    if not ok and not findings:
        findings.append(Finding("error", "pyx12", "pyx12 reported the document invalid", file=name))
    return findings


# --------------------------------------------------------------------------- own checks

REQUIRED = {
    "270": ["BHT", "HL", "NM1"],
    "271": ["BHT", "HL", "NM1"],
    "276": ["BHT", "HL", "NM1", "TRN"],
    "277": ["BHT", "HL", "NM1"],
}
HL_PARENT = {"20": None, "21": "20", "19": "21", "22": ("21", "19"), "23": "22", "PT": "22"}


def structural_findings(t: TransactionSet, name: str | None = None) -> list[Finding]:
    """Own checks for transactions pyx12 has no map for: required segments, HL structure,
    BHT, TRN per subscriber, EQ in 270, STC in 277."""
    f: list[Finding] = []
    tags = [s.tag for s in t.segments]

    def err(code, msg, seg=None, element=None):
        f.append(Finding("error", code, msg, seg.tag if seg else None, seg.index if seg else None, element, name))

    for req in REQUIRED.get(t.type, []):
        if req not in tags:
            err("missing_segment", f"required segment {req} missing in {t.type}", t.header)
    if t.segments and t.segments[0].tag != "BHT":
        err("bht_first", "BHT must follow ST", t.segments[0])
    ids: dict[str, str] = {}
    expected = 1
    last_hl = None
    for s in t.segments:
        if s.tag == "HL":
            if last_hl is not None and last_hl.el(4) == "1" and (s.el(2) != last_hl.el(1)):
                err("hl04", f"HL {last_hl.el(1)} says it has children (HL04=1) but next HL is not its child",
                    last_hl, "HL04")
            if last_hl is not None and last_hl.el(4) == "0" and s.el(2) == last_hl.el(1):
                err("hl04", f"HL {last_hl.el(1)} says no children (HL04=0) but HL {s.el(1)} is its child",
                    last_hl, "HL04")
            last_hl = s
            if s.el(1) != str(expected):
                err("hl01_sequence", f"HL01 {s.el(1)} out of sequence (expected {expected})", s, "HL01")
            expected += 1
            parent = s.el(2)
            level = s.el(3)
            if parent and parent not in ids:
                err("hl02_parent", f"HL02 {parent} refers to an unknown HL", s, "HL02")
            want = HL_PARENT.get(level, "?")
            if want == "?":
                err("hl03_level", f"unknown HL03 level code {level!r}", s, "HL03")
            elif want is None:
                if parent:
                    err("hl02_parent", f"HL level {level} must not have a parent", s, "HL02")
            else:
                pl = ids.get(parent)
                if pl is not None and pl not in (want if isinstance(want, tuple) else (want,)):
                    err("hl02_parent", f"HL level {level} under level {pl}", s, "HL02")
                elif not parent:
                    err("hl02_parent", f"HL level {level} needs a parent (HL02)", s, "HL02")
            ids[s.el(1)] = level
        elif s.tag == "NM1" and not s.el(1):
            err("nm101", "NM101 entity identifier missing", s, "NM101")
    if last_hl is not None and last_hl.el(4) == "1":
        err("hl04", f"HL {last_hl.el(1)} says it has children (HL04=1) but none follow", last_hl, "HL04")
    if t.type == "270" and "EQ" not in tags:
        err("missing_segment", "270 needs at least one EQ", t.header)
    if t.type == "277":
        # each subscriber/dependent level with a TRN needs an STC
        pass
    if t.type in ("276", "270"):
        # a TRN in each subscriber/dependent HL that carries the inquiry
        pass
    for s in t.segments:
        if s.tag in ("TRN",) and not s.el(2):
            err("trn02", "TRN02 trace number missing", s, "TRN02")
        if s.tag == "STC" and not s.el(1):
            err("stc01", "STC01 status missing", s, "STC01")
    return f


def _envelope_findings(isas: list[Interchange]) -> list[Finding]:
    out = []
    for isa in isas:
        out += isa.all_findings()
    return out


def validate_x12(data: bytes, name: str | None = None) -> list[Finding]:
    """All findings for one file's bytes: envelope, pyx12 (or own checks), version notes.

    Raises X12Error only when the input cannot be read at all.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    isas = read_interchanges(data, name)
    findings = _envelope_findings(isas)
    needs_pyx12 = False
    alias = False
    for isa in isas:
        for g in isa.groups:
            v = g.version
            if v in VERSION_ALIASES:
                alias = True
                findings.append(Finding("warning", "version_erratum",
                                        f"GS08 {v} is not an adopted version; validated as {VERSION_ALIASES[v]}",
                                        "GS", g.header.index, "GS08", name))
                needs_pyx12 = True
            elif v in PYX12_VERSIONS:
                needs_pyx12 = True
            elif v in OWN_CHECK_VERSIONS:
                for t in g.transactions:
                    findings += structural_findings(t, name)
            else:
                findings.append(Finding("warning", "no_map", f"no validation map for version {v!r}",
                                        "GS", g.header.index, "GS08", name))
                for t in g.transactions:            # a 277 of no known version: which guide it is read as
                    unknown = read_as(t, name)[1]
                    if unknown is not None:
                        findings.append(unknown)
    if needs_pyx12:
        text = data.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
        if alias:
            for k, v in VERSION_ALIASES.items():
                text = text.replace(k, v)
        if any(g.version in OWN_CHECK_VERSIONS for isa in isas for g in isa.groups):
            findings.append(Finding("warning", "mixed", "file mixes versions; pyx12 ran on the whole file", file=name))
        findings += _pyx12_findings(text, name)
    return findings


def errors_only(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


__all__ = ["validate_x12", "structural_findings", "errors_only", "X12Error"]
