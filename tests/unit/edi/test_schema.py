"""The generic loop reader: the 837P schema as data gives the guide's loop tree, leniently."""
from __future__ import annotations

from edi_factories import CREATED, RECEIVER, SUBMITTER, claim, dependent_claim, rich_claim, secondary_claim

from include.edi.reader import Segment, read_interchanges
from include.edi.schema import ROOT, X221A1, X222A1, Loop, Schema, compile_schema, read_loops
from include.edi.x837p import build_837p


def segments(claims):
    data = build_837p(claims, submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1,
                      group_control_number=1, first_transaction_control_number=1, created=CREATED)
    return read_interchanges(data)[0].groups[0].transactions[0].segments


def shape(node):
    return (node.loop, [(c.loop, [s.tag for s in c.segments]) for c in node.children])


def test_837p_tree_follows_the_guide():
    root, findings = read_loops(segments([claim(1, lines=2), dependent_claim(2), secondary_claim(3), rich_claim(4)]),
                                X222A1)
    assert findings == []
    assert [n.loop for n in root.children] == ["1000A", "1000B", "2000A", "2000A"]
    subs = root.children[2].find("2000B")
    assert [n.loop for n in subs[0].children] == ["2010BA", "2010BB", "2300"]
    assert [n.loop for n in subs[0].children[2].children] == ["2400", "2400"]
    # the dependent's claim sits under the patient level
    assert [n.loop for n in subs[1].children] == ["2010BA", "2010BB", "2000C"]
    assert [n.loop for n in subs[1].children[2].children] == ["2010CA", "2300"]
    # SBR in a claim opens 2320; NM1*PR there is the other payer (2330B), not 2010BB
    cob = subs[2].find("2300")[0]
    assert shape(cob.find("2320")[0]) == ("2320", [("2330A", ["NM1"]), ("2330B", ["NM1", "DTP"])])
    assert [s.tag for s in cob.find("2430")[0].segments] == ["SVD", "CAS", "DTP"]
    rich = root.children[3]
    assert [n.loop for n in rich.children] == ["2010AA", "2010AB", "2000B"]
    claim_loop = rich.find("2300")[0]
    assert [n.loop for n in claim_loop.children][:3] == ["2310A", "2310B", "2310C"]
    assert [s.tag for s in claim_loop.find("2310B")[0].segments] == ["NM1", "PRV"]
    assert len(claim_loop.find("2400")) == 50 and len(claim_loop.find("2410")) == 1


def _seg(text):
    tag, *els = text.split("*")
    return Segment(tag, els, index=0)


def test_unknown_segments_and_odd_ids_are_kept_with_warnings():
    segs = segments([claim(1)])
    at = next(i for i, s in enumerate(segs) if s.tag == "CLM") + 1
    segs[at:at] = [_seg("ZZZ*1"), _seg("ABCD*2"), _seg("X*3"), _seg("NM1*ZZ*2*WHO")]
    root, findings = read_loops(segs, X222A1)
    assert [(f.severity, f.code, f.segment) for f in findings] == [
        ("warning", "unknown_segment", "ZZZ"), ("warning", "invalid_segment_id", "ABCD"),
        ("warning", "invalid_segment_id", "X"), ("warning", "unknown_segment", "NM1")]
    clm = root.find("2300")[0]
    assert [s.tag for s in clm.segments][:5] == ["CLM", "ZZZ", "ABCD", "X", "NM1"]
    assert [n.loop for n in clm.children] == ["2400"]       # the structure after them is intact


def test_repeat_limits_and_an_unplaced_hl_are_reported():
    segs = segments([claim(1, lines=3)])
    _, ok = read_loops(segs, X222A1)
    assert ok == []
    small = Schema("837", "test", tuple(lp if lp.id != "2400" else Loop("2400", "LX", (), ("2300",), 2, lp.segments)
                                       for lp in X222A1.loops), X222A1.heading, X222A1.qualifier_element)
    _, findings = read_loops(segs, compile_schema(small))
    assert [(f.code, f.segment) for f in findings] == [("loop_repeat", "LX")]
    segs.insert(5, _seg("HL*9**99*0"))
    _, findings = read_loops(segs, X222A1)
    assert [(f.severity, f.code, f.element) for f in findings] == [("error", "hl_unplaced", "HL03")]


def test_a_schema_is_plain_data():
    tiny = Schema("999", "x", (Loop("A", "AK2", (), (ROOT,), None, ("IK5",)),
                               Loop("B", "IK3", (), ("A",), None, ("IK4",))), heading=("AK1",))
    segs = [_seg(t) for t in ("AK1*HC*1", "AK2*837*1", "IK3*NM1*5", "IK4*3", "IK5*A", "AK2*837*2", "IK5*A")]
    root, findings = read_loops(segs, tiny)
    assert findings == []
    assert [s.tag for s in root.segments] == ["AK1"]
    assert [(n.loop, [s.tag for s in n.segments]) for n in root.children] == [
        ("A", ["AK2", "IK5"]), ("A", ["AK2", "IK5"])]
    assert [s.tag for s in root.children[0].children[0].segments] == ["IK3", "IK4"]


def test_every_sample_and_built_file_reads_into_its_schema_without_findings():
    import datetime as dt

    from conftest import sample_files

    from include.edi import registry
    from include.edi.reader import iter_transactions
    from include.edi.x277ca import ClaimStatus, LineStatus, Status

    claims = [ClaimStatus(claim_id="A", statuses=[Status("A1", "19", "PR")], provider_npi="1234567893",
                          lines=[LineStatus("99213", charge=1, statuses=[Status("A2", "20")])]),
              ClaimStatus(claim_id="B", statuses=[Status("A7", "21", "85")], member_id="M1")]
    kw = dict(sender_id="P", receiver_id="R", interchange_control_number=1, group_control_number=1,
              created=dt.datetime(2026, 3, 1, 12, 0))
    inputs = [p.read_bytes() for p in sample_files()]
    inputs += [registry.BY_NAME["277CA"].build(claims, **kw), registry.BY_NAME["277"].build(claims, **kw),
               build_837p([claim(1), dependent_claim(2), secondary_claim(3), rich_claim(4)], submitter=SUBMITTER,
                          receiver=RECEIVER, interchange_control_number=1, group_control_number=1,
                          first_transaction_control_number=1, created=CREATED)]
    read = set()
    for data in inputs:
        for t in iter_transactions(data, keep=True):
            entry = registry.identify(t)
            if entry is None or entry.schema is None:
                continue
            root, findings = read_loops(t.segments, entry.schema)
            assert findings == [], (entry.name, [str(f) for f in findings])
            assert sum(len(n.segments) for n in root.walk()) == len(t.segments)
            read.add(entry.name)
    assert read == {t.name for t in registry.TRANSACTIONS}


def test_835_and_999_trees():
    from conftest import SAMPLES

    from include.edi.schema import X221A1, X231A1
    t = read_interchanges(SAMPLES / "835_005010X221A1" / "managed-care.835")[0].groups[0].transactions[0]
    root, _ = read_loops(t.segments, X221A1)
    assert [s.tag for s in root.segments] == ["BPR", "TRN", "DTM"]
    assert [n.loop for n in root.children] == ["1000A", "1000B", "2000"]
    claims = root.children[2].children
    assert [(c.segments[0].el(1), [s.tag for s in c.segments], [len(x.segments) for x in c.children])
            for c in claims] == [("5554555444", ["CLP", "CAS", "NM1"], [4]),
                                 ("8765432112", ["CLP", "CAS", "NM1"], [5])]
    t = read_interchanges(SAMPLES / "999_005010X231A1" / "response-to-3-837s.999")[0].groups[0].transactions[0]
    root, _ = read_loops(t.segments, X231A1)
    assert [s.tag for s in root.segments] == ["AK1", "AK9"]
    assert [[s.tag for s in n.segments] for n in root.children] == [["AK2", "IK5"]] * 3
    assert [[s.tag for s in x.segments] for x in root.children[2].find("2100")] == [["IK3", "CTX", "CTX"]]


def test_a_loop_start_out_of_place_is_read_where_the_guide_puts_it():
    segs = [_seg(t) for t in ("BPR*I*0*C*NON", "TRN*1*T1*1", "N1*PR*PAYER", "CLP*C1*4*165*0", "SVC*HC:99213*120*0",
                              "CAS*CO*16*120")]
    root, findings = read_loops(segs, X221A1)
    assert [(f.severity, f.code, f.segment) for f in findings] == [("warning", "loop_unplaced", "CLP")]
    (clp,) = root.find("2100")
    assert [s.tag for s in clp.all_segments()] == ["CLP", "SVC", "CAS"]


def test_one_status_schema_reads_both_277_guides_by_their_hl_levels():
    """STATUS_277 keys each level on HL03, so the 277CA (PT under 19) and the 277 (22, 23 under
    22) both read into it without findings, their claims in the claim loops; an unknown level is
    reported, and a TRN after it opens no claim loop."""
    import datetime as dt

    from conftest import SAMPLES

    from include.edi.reader import iter_transactions
    from include.edi.schema import STATUS_277, STATUS_CLAIM_LOOPS
    from include.edi.x277 import build_277
    from include.edi.x277ca import ClaimStatus, LineStatus, Status, build_277ca, parse_277ca

    claims = [ClaimStatus(claim_id="A", statuses=[Status("A1", "19", "PR")], provider_npi="1234567893",
                          lines=[LineStatus("99213", charge=1, statuses=[Status("A2", "20")])]),
              ClaimStatus(claim_id="B", statuses=[Status("A7", "21", "85")], member_id="M1")]
    kw = dict(sender_id="P", receiver_id="R", interchange_control_number=1, group_control_number=1,
              created=dt.datetime(2026, 3, 1, 12, 0))
    inputs = [p.read_bytes() for p in sorted(SAMPLES.rglob("*.277"))] + [build_277ca(claims, **kw),
                                                                       build_277(claims, **kw)]
    claim_loops = set()
    for data in inputs:
        for t in iter_transactions(data, keep=True):
            root, findings = read_loops(t.segments, STATUS_277)
            assert findings == [], [str(f) for f in findings]
            claims = [n for n in root.walk() if n.loop in STATUS_CLAIM_LOOPS]
            claim_loops |= {n.loop for n in claims}
            # the parser reads on the same schema: one claim per claim loop, in file order
            assert [c.claim_id for c in parse_277ca(t)] == [n.segments[0].el(2) for n in claims]
    assert claim_loops == {"2200D.PT", "2200D", "2200E"}
    odd = [Segment("HL", ["1", "", "20", "1"], 0), Segment("HL", ["2", "1", "XX", "1"], 1),
           Segment("TRN", ["2", "C1"], 2)]
    root, findings = read_loops(odd, STATUS_277)
    assert [f.code for f in findings] == ["hl_unplaced"]
    assert not any(n.loop in STATUS_CLAIM_LOOPS for n in root.walk())
