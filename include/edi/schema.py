"""Loop schemas as data, and one generic reader that turns a transaction set into a loop tree.

A schema lists each loop of a transaction: its id, the segment that starts it (with the
qualifier values that segment must carry, e.g. NM1*85 or HL*20), the loops it may sit in,
how often it may repeat there, and the other segments it holds.  ``compile_schema`` turns
that into one table per position in the loop tree ("state"), keyed by segment id (and for
HL/NM1 by qualifier), so a reader walks the segment list once with a dict lookup per
segment: the 837P parser uses the table directly, ``read_loops`` builds a tree from it.

Reading is lenient and reporting strict: a segment the schema does not know where it
stands, or whose id is not 2-3 alphanumerics, is kept (in the loop it appears in) with a
warning finding; a loop repeated more often than the guide allows is a warning; a loop start
out of place (an HL under the wrong level, a CLP without its LX) is read where the guide puts
the loop, with a finding (an error for an HL: it breaks the hierarchy; an HL whose level the
schema does not know stays unplaced).  Nothing here raises.

Placing a segment: the innermost open loop that holds it, or that starts a child loop with it,
wins; a child loop is never earlier (in schema order) than the one already read under the same
parent, and a segment of an enclosing loop is not looked for beyond the nearest hierarchical
level (HL).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .errors import Finding

ROOT = "ST"   # the transaction set's heading (BHT …), parent of the top loops


@dataclass(frozen=True, slots=True)
class Loop:
    id: str                                  # "2300"
    trigger: str                             # the segment that starts the loop: "CLM"
    qualifiers: tuple[str, ...] = ()         # its qualifier values (NM101, HL03); () = any
    parents: tuple[str, ...] = (ROOT,)       # loops it sits in
    max_repeat: int | None = None            # per parent occurrence; None = unbounded (">1")
    segments: tuple[str, ...] = ()           # the other segment ids it holds
    name: str = ""


@dataclass(frozen=True)
class Schema:
    transaction: str                         # "837"
    version: str                             # "005010X222A1"
    loops: tuple[Loop, ...]
    heading: tuple[str, ...] = ()            # segment ids outside every loop (heading, and summary such as PLB)
    qualifier_element: dict[str, int] = field(default_factory=dict)   # trigger id → element of its qualifier
    # a segment of an enclosing loop is looked for up to the nearest loop this segment starts (a
    # hierarchical level), not beyond: a PRV inside a claim is unknown there, not the billing
    # provider's PRV closing the claim
    level_trigger: str | None = "HL"
    # heading segments that come after the loops (835 PLB): they end the loop they follow
    summary: tuple[str, ...] = ()


@dataclass(slots=True)
class Compiled:
    """``rows[state][segment id]`` is ``(new state, opened)`` — or, for qualified ids, a dict from
    qualifier to that pair with ``None`` for any other qualifier; a missing key is a segment that
    has no place there.  ``loop[state]`` is the loop id of a state, ``path[state]`` its loop ids
    from the root."""

    schema: Schema
    rows: list[dict]
    loop: list[str]
    path: list[tuple[str, ...]]
    qualifier_element: dict[str, int]
    max_repeat: dict[str, int | None]
    # (trigger id, qualifier or None) → (state, True): where a loop start that has no place in the
    # current state re-enters the tree (its first path); readers use it to recover, and report
    recover: dict[tuple[str, str | None], tuple[int, bool]]
    # ``rows`` with the new state alone (no "opened" flag): for parsers that act on the segment id
    steps: list[dict] = field(default_factory=list)
    triggers: frozenset = frozenset()        # the segment ids that start a loop


def compile_schema(schema: Schema) -> Compiled:
    body = {ROOT: frozenset(schema.heading)} | {lp.id: frozenset(lp.segments) for lp in schema.loops}
    children: dict[str, list[Loop]] = {}
    for lp in schema.loops:
        for p in lp.parents:
            children.setdefault(p, []).append(lp)
    # every path from the root is a state (a loop with two parents, like 837P 2300, gives two)
    paths: list[tuple[str, ...]] = []
    todo = [(ROOT,)]
    while todo:
        p = todo.pop()
        if len(p) > 12:
            raise ValueError(f"{schema.transaction}: loop nesting too deep at {p}")
        paths.append(p)
        todo += [p + (c.id,) for c in children.get(p[-1], ())]
    paths.sort(key=lambda p: (len(p), p))
    state_of = {p: i for i, p in enumerate(paths)}
    tags = set(schema.heading) | {lp.trigger for lp in schema.loops} | {t for lp in schema.loops for t in lp.segments}
    qpos = schema.qualifier_element
    trigger_of = {lp.id: lp.trigger for lp in schema.loops}
    by_id = {lp.id: lp for lp in schema.loops}
    rows: list[dict] = []
    for p in paths:
        row: dict = {}
        for tag in tags:
            quals: dict = {}
            default = None
            bodies = True          # still inside the nearest hierarchical level
            # the innermost loop that holds the segment or starts a child with it wins
            for i in range(len(p) - 1, -1, -1):
                here = p[:i + 1]
                kids = children.get(p[i], ())
                # loops follow each other in schema order: no going back to an earlier sibling
                # (hierarchical levels are linked by HL02, not by position, and are exempt)
                floor = kids.index(by_id[p[i + 1]]) if i + 1 < len(p) else 0
                for k, c in enumerate(kids):
                    if c.trigger != tag or (k < floor and c.trigger != schema.level_trigger):
                        continue
                    act = (state_of[here + (c.id,)], True)
                    if c.qualifiers and tag in qpos:
                        for q in c.qualifiers:
                            quals.setdefault(q, act)
                    elif default is None:
                        default = act
                if default is None and bodies and tag in body[p[i]]:
                    default = (state_of[here], False)
                if trigger_of.get(p[i]) == schema.level_trigger:
                    bodies = False
                if default is not None and tag not in qpos:
                    break
            if tag in qpos and quals:
                quals[None] = default
                row[tag] = quals
            elif default is not None:
                row[tag] = default
        rows.append(row)
    recover: dict = {}
    for i, p in enumerate(paths):          # shortest paths first
        lp = next((x for x in schema.loops if x.id == p[-1]), None)
        if lp is not None:
            for q in (lp.qualifiers or (None,)):
                recover.setdefault((lp.trigger, q), (i, True))
    steps = [{t: ({q: a and a[0] for q, a in v.items()} if v.__class__ is dict else v[0]) for t, v in row.items()}
             for row in rows]
    return Compiled(schema, rows, [p[-1] for p in paths], paths, dict(qpos),
                    {lp.id: lp.max_repeat for lp in schema.loops} | {ROOT: 1}, recover, steps,
                    frozenset(lp.trigger for lp in schema.loops))


@dataclass(slots=True)
class LoopNode:
    """One occurrence of a loop: its segments (trigger first) and the loops inside it."""

    loop: str
    segments: list = field(default_factory=list)
    children: list["LoopNode"] = field(default_factory=list)

    def walk(self) -> Iterable["LoopNode"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, loop: str) -> list["LoopNode"]:
        return [n for n in self.walk() if n.loop == loop]

    def all_segments(self) -> list:
        """The loop's segments and those of the loops inside it, in file order."""
        out = [s for n in self.walk() for s in n.segments]
        out.sort(key=lambda s: s.index)
        return out


def _good_id(tag: str) -> bool:
    return 2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum()


def read_loops(segments, schema: Schema | Compiled, *, file: str | None = None) -> tuple[LoopNode, list[Finding]]:
    """The loop tree of a transaction set's body segments (between ST and SE), with findings."""
    comp = schema if isinstance(schema, Compiled) else compiled(schema)
    rows, loop_of, qpos, limits = comp.rows, comp.loop, comp.qualifier_element, comp.max_repeat
    findings: list[Finding] = []
    root = LoopNode(ROOT)
    stack = [root]                 # nodes along the current path
    counts: list[dict] = [{}]      # per node on the stack: child loop id → occurrences
    state = 0
    row = rows[0]
    for s in segments:
        tag = s.tag
        act = row.get(tag)
        if act is not None and act.__class__ is dict:
            act = act.get(s.el(qpos[tag]), act[None])
        if act is None and tag in comp.triggers:
            # a loop start out of place: reported, then read where the guide puts it (its first
            # path), so what follows it keeps its structure (the parsers recover the same way)
            act = comp.recover.get((tag, s.el(qpos[tag]) if tag in qpos else None)) or comp.recover.get((tag, None))
            if act is not None:
                where = f"loop {comp.loop[act[0]]} has no place in loop {loop_of[state]}; read where the guide puts it"
                if tag == "HL":
                    findings.append(Finding("error", "hl_unplaced", f"HL level {s.el(3)!r}: {where}",
                                            "HL", getattr(s, "index", None), "HL03", file=file))
                else:
                    findings.append(Finding("warning", "loop_unplaced", f"segment {tag}: {where}",
                                            tag, getattr(s, "index", None), file=file))
        if act is None:
            if not _good_id(tag):
                findings.append(Finding("warning", "invalid_segment_id",
                                        f"segment id {tag[:10]!r} is not 2-3 letters or digits; kept as unknown",
                                        tag[:10], getattr(s, "index", None), file=file))
            elif tag == "HL":
                findings.append(Finding("error", "hl_unplaced",
                                        f"HL level {s.el(3)!r} has no place in loop {loop_of[state]}",
                                        "HL", getattr(s, "index", None), "HL03", file=file))
            else:
                findings.append(Finding("warning", "unknown_segment",
                                        f"segment {tag} is not expected in loop {loop_of[state]}; kept",
                                        tag, getattr(s, "index", None), file=file))
            stack[-1].segments.append(s)
            continue
        new, opened = act
        if opened:
            depth = len(comp.path[new]) - 1      # the new loop's depth; its parent is stack[depth - 1]
            del stack[depth:]
            del counts[depth:]
            lid = loop_of[new]
            n = counts[-1][lid] = counts[-1].get(lid, 0) + 1
            limit = limits.get(lid)
            if limit is not None and n > limit:
                findings.append(Finding("warning", "loop_repeat",
                                        f"loop {lid} occurs {n} times in its parent (at most {limit})",
                                        tag, getattr(s, "index", None), file=file))
            node = LoopNode(lid, [s])
            stack[-1].children.append(node)
            stack.append(node)
            counts.append({})
        else:
            depth = len(comp.path[new])
            del stack[depth:]
            del counts[depth:]
            stack[-1].segments.append(s)
        state = new
        row = rows[new]
    return root, findings


_COMPILED: dict[int, Compiled] = {}


def compiled(schema: Schema) -> Compiled:
    """The compiled table of a schema (compiled once per schema object)."""
    c = _COMPILED.get(id(schema))
    if c is None or c.schema is not schema:
        c = _COMPILED[id(schema)] = compile_schema(schema)
    return c


# --------------------------------------------------------------------------- 837P (005010X222A1)

_ADDR = ("N3", "N4")


def _nm1(id, q, parents, *segs, max_repeat=1, name=""):
    return Loop(id, "NM1", q if isinstance(q, tuple) else (q,), parents, max_repeat, segs, name)


X222A1 = Schema(
    transaction="837", version="005010X222A1",
    heading=("BHT",),
    qualifier_element={"HL": 3, "NM1": 1},
    loops=(
        _nm1("1000A", "41", (ROOT,), "PER", name="submitter"),
        _nm1("1000B", "40", (ROOT,), name="receiver"),
        Loop("2000A", "HL", ("20",), (ROOT,), None, ("PRV", "CUR"), "billing provider level"),
        _nm1("2010AA", "85", ("2000A",), *_ADDR, "REF", "PER", name="billing provider"),
        _nm1("2010AB", "87", ("2000A",), *_ADDR, name="pay-to address"),
        _nm1("2010AC", "PE", ("2000A",), *_ADDR, "REF", name="pay-to plan"),
        Loop("2000B", "HL", ("22",), ("2000A",), None, ("SBR", "PAT"), "subscriber level"),
        _nm1("2010BA", "IL", ("2000B",), *_ADDR, "DMG", "REF", "PER", name="subscriber"),
        _nm1("2010BB", "PR", ("2000B",), *_ADDR, "REF", name="payer"),
        Loop("2000C", "HL", ("23",), ("2000B",), None, ("PAT",), "patient level"),
        _nm1("2010CA", "QC", ("2000C",), *_ADDR, "DMG", "REF", "PER", name="patient"),
        Loop("2300", "CLM", (), ("2000B", "2000C"), 100,
             ("DTP", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI", "HCP"), "claim"),
        _nm1("2310A", ("DN", "P3"), ("2300",), "REF", max_repeat=2, name="referring provider"),
        _nm1("2310B", "82", ("2300",), "PRV", "REF", name="rendering provider"),
        _nm1("2310C", "77", ("2300",), *_ADDR, "REF", "PER", name="service facility"),
        _nm1("2310D", "DQ", ("2300",), "REF", name="supervising provider"),
        _nm1("2310E", "PW", ("2300",), *_ADDR, name="ambulance pick-up"),
        _nm1("2310F", "45", ("2300",), *_ADDR, name="ambulance drop-off"),
        Loop("2320", "SBR", (), ("2300",), 10, ("CAS", "AMT", "OI", "MOA"), "other subscriber"),
        _nm1("2330A", "IL", ("2320",), *_ADDR, "REF", name="other subscriber name"),
        _nm1("2330B", "PR", ("2320",), *_ADDR, "DTP", "REF", name="other payer"),
        _nm1("2330C", ("DN", "P3"), ("2320",), "REF", max_repeat=2, name="other payer referring provider"),
        _nm1("2330D", "82", ("2320",), "REF", name="other payer rendering provider"),
        _nm1("2330E", "77", ("2320",), "REF", name="other payer service facility"),
        _nm1("2330F", "DQ", ("2320",), "REF", name="other payer supervising provider"),
        _nm1("2330G", "85", ("2320",), "REF", name="other payer billing provider"),
        # SV2 is an 837I line segment: read here too, as the parser always has
        Loop("2400", "LX", (), ("2300",), 50,
             ("SV1", "SV2", "SV5", "PWK", "CR1", "CR3", "CRC", "DTP", "QTY", "MEA", "CN1", "REF", "AMT", "K3",
              "NTE", "PS1", "HCP"), "service line"),
        Loop("2410", "LIN", (), ("2400",), 1, ("CTP", "REF"), "drug identification"),
        _nm1("2420A", "82", ("2400",), "PRV", "REF", name="line rendering provider"),
        _nm1("2420B", "QB", ("2400",), "REF", name="purchased service provider"),
        _nm1("2420C", "77", ("2400",), *_ADDR, "REF", name="line service facility"),
        _nm1("2420D", "DQ", ("2400",), "REF", name="line supervising provider"),
        _nm1("2420E", "DK", ("2400",), *_ADDR, "REF", "PER", name="ordering provider"),
        _nm1("2420F", "DN", ("2400",), *_ADDR, "REF", max_repeat=2, name="line referring provider"),
        _nm1("2420G", "PW", ("2400",), *_ADDR, name="line ambulance pick-up"),
        _nm1("2420H", "45", ("2400",), *_ADDR, name="line ambulance drop-off"),
        Loop("2430", "SVD", (), ("2400",), 15, ("CAS", "DTP", "AMT"), "line adjudication"),
        Loop("2440", "LQ", (), ("2400",), None, ("FRM",), "form identification"),
    ),
)


# --------------------------------------------------------------------------- 835 (005010X221A1)

X221A1 = Schema(
    transaction="835", version="005010X221A1",
    heading=("BPR", "TRN", "CUR", "REF", "DTM", "PLB"),
    summary=("PLB",),                                         # after the claims
    qualifier_element={"N1": 1},
    level_trigger=None,
    loops=(
        Loop("1000A", "N1", ("PR",), (ROOT,), 1, ("N3", "N4", "REF", "PER"), "payer"),
        Loop("1000B", "N1", ("PE",), (ROOT,), 1, ("N3", "N4", "REF", "RDM"), "payee"),
        Loop("2000", "LX", (), (ROOT,), None, ("TS3", "TS2"), "header number"),
        # the NM1s of a claim payment (QC, IL, 74, 82, TT, PR, GB) are segments of 2100, not loops
        Loop("2100", "CLP", (), ("2000",), None, ("CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"),
             "claim payment"),
        Loop("2110", "SVC", (), ("2100",), 999, ("DTM", "CAS", "REF", "AMT", "QTY", "LQ"), "service payment"),
    ),
)


# --------------------------------------------------------------------------- 999 (005010X231A1)

X231A1 = Schema(
    transaction="999", version="005010X231A1",
    heading=("AK1", "AK9"),
    summary=("AK9",),
    level_trigger=None,
    loops=(
        Loop("2000", "AK2", (), (ROOT,), None, ("IK5",), "transaction set response"),
        Loop("2100", "IK3", (), ("2000",), None, ("CTX",), "error identification"),
        Loop("2110", "IK4", (), ("2100",), None, ("CTX",), "implementation data element note"),
    ),
)


# --------------------------------------------------------------------------- 277CA (005010X214), 277 (005010X212)

_STATUS_QUAL = {"HL": 3, "NM1": 1}

X214 = Schema(
    transaction="277", version="005010X214",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, (), "information source level"),
        _nm1("2100A", "PR", ("2000A",), name="payer"),
        Loop("2200A", "TRN", (), ("2000A",), 1, ("DTP",), "transmission receipt control"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", "41", ("2000B",), name="information receiver"),
        Loop("2200B", "TRN", (), ("2000B",), 1, ("STC", "QTY", "AMT"), "information receiver status"),
        Loop("2000C", "HL", ("19",), ("2000B",), None, (), "billing provider level"),
        _nm1("2100C", "85", ("2000C",), name="billing provider"),
        Loop("2200C", "TRN", (), ("2000C",), 1, ("REF", "STC", "QTY", "AMT"), "provider status"),
        Loop("2000D", "HL", ("PT",), ("2000C",), None, (), "patient level"),
        _nm1("2100D", "QC", ("2000D",), name="patient"),
        Loop("2200D", "TRN", (), ("2000D",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220D", "SVC", (), ("2200D",), None, ("STC", "REF", "DTP"), "service line"),
    ),
)

X212 = Schema(
    transaction="277", version="005010X212",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, (), "information source level"),
        _nm1("2100A", "PR", ("2000A",), "PER", name="payer"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", "41", ("2000B",), name="information receiver"),
        Loop("2200B", "TRN", (), ("2000B",), 1, ("STC",), "information receiver trace"),
        Loop("2000C", "HL", ("19",), ("2000B",), None, (), "service provider level"),
        _nm1("2100C", "1P", ("2000C",), name="service provider"),
        Loop("2200C", "TRN", (), ("2000C",), 1, ("STC", "REF"), "service provider trace"),
        Loop("2000D", "HL", ("22",), ("2000C",), None, (), "subscriber level"),
        _nm1("2100D", "IL", ("2000D",), name="subscriber"),
        Loop("2200D", "TRN", (), ("2000D",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220D", "SVC", (), ("2200D",), None, ("STC", "REF", "DTP"), "service line"),
        Loop("2000E", "HL", ("23",), ("2000D",), None, (), "dependent level"),
        _nm1("2100E", "QC", ("2000E",), name="dependent"),
        Loop("2200E", "TRN", (), ("2000E",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220E", "SVC", (), ("2200E",), None, ("STC", "REF", "DTP"), "service line"),
    ),
)


# One status schema for reading either guide: each hierarchical level is keyed on its HL03 code,
# not on the guide's loop letters, so a 277 is read the same whatever its GS08 says (an unknown or
# missing version loses no claim). 20 information source, 21 receiver, 19 provider (NM1*85 in the
# 277CA, NM1*1P in the 277), then the claim levels: PT patient (277CA 2000D, under 19), 22
# subscriber and 23 dependent (277 2000D/2000E). Loop ids are the guides' where they agree; the
# 277CA patient level's loops, which the 277 names differently, carry ".PT". The claim-status
# parser (``_status.parse_status_transaction``) reads on this schema; the registry's X214 and X212
# stay the per-guide schemas for validation and claim slices.

STATUS_LEVELS = {"20": "2000A", "21": "2000B", "19": "2000C", "PT": "2000D.PT", "22": "2000D", "23": "2000E"}
STATUS_CLAIM_LOOPS = ("2200D.PT", "2200D", "2200E")

STATUS_277 = Schema(
    transaction="277", version="005010X212+005010X214",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, (), "information source level"),
        _nm1("2100A", "PR", ("2000A",), "PER", name="payer"),
        Loop("2200A", "TRN", (), ("2000A",), 1, ("DTP",), "transmission receipt control (277CA)"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", "41", ("2000B",), name="information receiver"),
        Loop("2200B", "TRN", (), ("2000B",), 1, ("STC", "QTY", "AMT"), "information receiver status"),
        Loop("2000C", "HL", ("19",), ("2000B",), None, (), "provider level"),
        _nm1("2100C", ("85", "1P"), ("2000C",), name="billing (277CA) or service (277) provider"),
        Loop("2200C", "TRN", (), ("2000C",), 1, ("REF", "STC", "QTY", "AMT"), "provider status"),
        Loop("2000D.PT", "HL", ("PT",), ("2000C",), None, (), "patient level (277CA)"),
        _nm1("2100D.PT", "QC", ("2000D.PT",), name="patient"),
        Loop("2200D.PT", "TRN", (), ("2000D.PT",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220D.PT", "SVC", (), ("2200D.PT",), None, ("STC", "REF", "DTP"), "service line"),
        Loop("2000D", "HL", ("22",), ("2000C",), None, (), "subscriber level (277)"),
        _nm1("2100D", "IL", ("2000D",), name="subscriber"),
        Loop("2200D", "TRN", (), ("2000D",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220D", "SVC", (), ("2200D",), None, ("STC", "REF", "DTP"), "service line"),
        Loop("2000E", "HL", ("23",), ("2000D",), None, (), "dependent level (277)"),
        _nm1("2100E", "QC", ("2000E",), name="dependent"),
        Loop("2200E", "TRN", (), ("2000E",), None, ("STC", "REF", "DTP"), "claim status tracking"),
        Loop("2220E", "SVC", (), ("2200E",), None, ("STC", "REF", "DTP"), "service line"),
    ),
)


# --------------------------------------------------------------------------- 276 (005010X212)

X212_276 = Schema(
    transaction="276", version="005010X212",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, (), "information source level"),
        _nm1("2100A", "PR", ("2000A",), name="payer"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", "41", ("2000B",), name="information receiver"),
        Loop("2000C", "HL", ("19",), ("2000B",), None, (), "service provider level"),
        _nm1("2100C", "1P", ("2000C",), name="service provider"),
        Loop("2000D", "HL", ("22",), ("2000C",), None, ("DMG",), "subscriber level"),
        _nm1("2100D", "IL", ("2000D",), name="subscriber"),
        Loop("2200D", "TRN", (), ("2000D",), None, ("REF", "AMT", "DTP"), "claim status tracking"),
        Loop("2210D", "SVC", (), ("2200D",), None, ("REF", "DTP"), "service line"),
        Loop("2000E", "HL", ("23",), ("2000D",), None, ("DMG",), "dependent level"),
        _nm1("2100E", "QC", ("2000E",), name="dependent"),
        Loop("2200E", "TRN", (), ("2000E",), None, ("REF", "AMT", "DTP"), "claim status tracking"),
        Loop("2210E", "SVC", (), ("2200E",), None, ("REF", "DTP"), "service line"),
    ),
)


# --------------------------------------------------------------------------- 270/271 (005010X279A1)
# the names' NM101 varies with the party (PR, 2B, 36, GP, P5 …): the HL level places them, so
# these NM1 loops take any qualifier

_PERSON = ("REF", "N3", "N4", "PRV", "DMG", "INS", "HI", "DTP")

X279A1_270 = Schema(
    transaction="270", version="005010X279A1",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, (), "information source level"),
        _nm1("2100A", (), ("2000A",), name="information source"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", (), ("2000B",), "REF", "N3", "N4", "PRV", name="information receiver"),
        Loop("2000C", "HL", ("22",), ("2000B",), None, ("TRN",), "subscriber level"),
        _nm1("2100C", (), ("2000C",), *_PERSON, name="subscriber"),
        Loop("2110C", "EQ", (), ("2100C",), 99, ("AMT", "III", "REF", "DTP"), "subscriber eligibility inquiry"),
        Loop("2000D", "HL", ("23",), ("2000C",), None, ("TRN",), "dependent level"),
        _nm1("2100D", (), ("2000D",), *_PERSON, name="dependent"),
        Loop("2110D", "EQ", (), ("2100D",), 99, ("III", "REF", "DTP"), "dependent eligibility inquiry"),
    ),
)

X279A1_271 = Schema(
    transaction="271", version="005010X279A1",
    heading=("BHT",),
    qualifier_element=_STATUS_QUAL,
    loops=(
        Loop("2000A", "HL", ("20",), (ROOT,), None, ("AAA",), "information source level"),
        _nm1("2100A", (), ("2000A",), "PER", "AAA", name="information source"),
        Loop("2000B", "HL", ("21",), ("2000A",), None, (), "information receiver level"),
        _nm1("2100B", (), ("2000B",), "REF", "N3", "N4", "AAA", "PRV", name="information receiver"),
        Loop("2000C", "HL", ("22",), ("2000B",), None, ("TRN",), "subscriber level"),
        _nm1("2100C", (), ("2000C",), *_PERSON, "AAA", "MPI", name="subscriber"),
        # LS/LE bracket the benefit's related entity (2120C): segments of the benefit loop
        Loop("2110C", "EB", (), ("2100C",), None, ("HSD", "REF", "DTP", "AAA", "MSG", "III", "LS", "LE"),
             "subscriber eligibility or benefit"),
        _nm1("2120C", (), ("2110C",), "N3", "N4", "PER", "PRV", max_repeat=23, name="benefit related entity"),
        Loop("2000D", "HL", ("23",), ("2000C",), None, ("TRN",), "dependent level"),
        _nm1("2100D", (), ("2000D",), *_PERSON, "AAA", "MPI", name="dependent"),
        Loop("2110D", "EB", (), ("2100D",), None, ("HSD", "REF", "DTP", "AAA", "MSG", "III", "LS", "LE"),
             "dependent eligibility or benefit"),
        _nm1("2120D", (), ("2110D",), "N3", "N4", "PER", "PRV", max_repeat=23, name="benefit related entity"),
    ),
)
