"""The registry: one entry per transaction, and identify() from ST01/GS08 on real and built files."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES, sample_files
from edi_factories import CREATED, RECEIVER, SUBMITTER, claim

from include.edi import registry
from include.edi.reader import read_interchanges
from include.edi.x277ca import ClaimStatus, Status


def test_every_transaction_has_its_guide_functions_and_map():
    assert {t.name: (t.type, t.version, t.functional_id, t.pyx12_map) for t in registry.TRANSACTIONS} == {
        "837P": ("837", "005010X222A1", "HC", "837.5010.X222.A1.xml"),
        "835": ("835", "005010X221A1", "HP", "835.5010.X221.A1.xml"),
        "277CA": ("277", "005010X214", "HN", "277.5010.X214.xml"),
        "999": ("999", "005010X231A1", "FA", "999.5010X231.A1.xml"),
        "270": ("270", "005010X279A1", "HS", None),
        "271": ("271", "005010X279A1", "HB", None),
        "276": ("276", "005010X212", "HR", None),
        "277": ("277", "005010X212", "HN", None),
    }
    for t in registry.TRANSACTIONS:
        assert callable(t.parse) and callable(t.build)
        assert t.parse.__module__.endswith(t.parse_ref.partition(":")[0])


def test_every_pyx12_map_named_exists_in_pyx12():
    import pyx12
    maps = Path(pyx12.__file__).parent / "map"
    for t in registry.TRANSACTIONS:
        if t.pyx12_map:
            assert (maps / t.pyx12_map).is_file(), t.pyx12_map


SAMPLE_DIRS = {"270_005010X279A1": "270", "271_005010X279A1": "271", "276_005010X212": "276",
               "277_005010X212": "277", "835_005010X221A1": "835", "837_005010X222A2": "837P",
               "999_005010X231A1": "999"}


@pytest.mark.parametrize("path", [p for p in sample_files() if p.parent.name in SAMPLE_DIRS], ids=lambda p: p.name)
def test_identify_public_samples(path):
    entry = registry.identify(path.read_bytes())
    assert entry is registry.BY_NAME[SAMPLE_DIRS[path.parent.name]]


def test_identify_837i_and_unknown_versions_is_none():
    assert registry.identify(SAMPLES / "837_005010X223A3" / "institutional-claim.837i") is None
    assert registry.lookup("835", "004010X091A1") is None


def test_identify_tells_277ca_from_277_by_version_and_reads_a_transaction_set():
    from include.edi.x277 import build_277
    from include.edi.x277ca import build_277ca
    claims = [ClaimStatus(claim_id="A", statuses=[Status("A1", "19", "PR")])]
    kw = dict(sender_id="P", receiver_id="R", interchange_control_number=1, group_control_number=1,
              created=dt.datetime(2026, 3, 1, 12, 0))
    ca, st = build_277ca(claims, **kw), build_277(claims, **kw)
    assert registry.identify(ca).name == "277CA"
    assert registry.identify(st).name == "277"
    t = read_interchanges(ca)[0].groups[0].transactions[0]
    assert registry.identify(t).name == "277CA"


def test_registry_round_trip_through_its_own_functions():
    e = registry.BY_NAME["837P"]
    data = e.build([claim(1)], submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1,
                   group_control_number=1, first_transaction_control_number=1, created=CREATED)
    assert registry.identify(data) is e
    assert [c.claim_id for c in e.parse(data)] == ["C000001"]


def test_identify_imports_no_parser():
    # in a fresh interpreter: popping modules here would split class identities for later tests
    code = ("import sys; from include.edi import registry; from pathlib import Path; "
            f"registry.identify(Path({str(SAMPLES / '835_005010X221A1' / 'managed-care.835')!r}).read_bytes()); "
            "print(sorted(m for m in sys.modules if m.startswith('include.edi.x')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=SAMPLES.parents[2])
    assert out.stdout.strip() == "[]"


def test_claim_segments_are_the_claims_loop_in_file_order():
    from edi_factories import secondary_claim

    data = registry.BY_NAME["837P"].build([claim(1), secondary_claim(2), claim(3)], submitter=SUBMITTER,
                                          receiver=RECEIVER, interchange_control_number=1, group_control_number=1,
                                          first_transaction_control_number=1, created=CREATED)
    t = read_interchanges(data)[0].groups[0].transactions[0]
    segs = registry.claim_segments(t, "C000002")
    assert segs[0].to_text().startswith("CLM*C000002*")
    assert [s.tag for s in segs] == ["CLM", "HI", "SBR", "CAS", "CAS", "AMT", "OI", "NM1", "NM1", "DTP",
                                     "LX", "SV1", "DTP", "REF", "SVD", "CAS", "DTP", "LX", "SV1", "DTP", "REF"]
    assert [s.index for s in segs] == list(range(segs[0].index, segs[0].index + len(segs)))
    assert registry.claim_segments(t, "NOPE") == []
    remit = read_interchanges(SAMPLES / "835_005010X221A1" / "managed-care.835")[0].groups[0].transactions[0]
    assert [s.tag for s in registry.claim_segments(remit, "8765432112")] == [
        "CLP", "CAS", "NM1", "SVC", "DTM", "DTM", "CAS", "CAS"]
    status = read_interchanges(SAMPLES / "277_005010X212" / "claim-level-status.277")[0].groups[0].transactions[0]
    assert [s.tag for s in registry.claim_segments(status, "ABCXYC3")] == ["TRN", "STC", "REF", "REF", "SVC", "STC",
                                                                           "DTP"]


def test_claim_slice_finds_the_claims_loop_in_a_whole_file():
    """"The bytes of claim X" for the UI's fallback: the claim's loop in the first transaction set
    that has it, the 999 loop answering a transaction set, and loops read where the guide puts
    them when the file breaks the structure or names no guide version (GS08 005010)."""
    remit = (SAMPLES / "835_005010X221A1" / "managed-care.835").read_bytes()
    assert [s.tag for s in registry.claim_slice(remit, "8765432112")] == [
        "CLP", "CAS", "NM1", "SVC", "DTM", "DTM", "CAS", "CAS"]
    assert registry.claim_slice(remit, "NOPE") == []
    ack = SAMPLES / "999_005010X231A1" / "response-to-3-837s.999"
    assert [s.to_text() for s in registry.claim_slice(ack, "ANY", control_number=2)] == [
        "AK2*837*0002~", "IK3*CLM*22**8~", "CTX*CLM01:123456789~", "IK4*2*782*1~", "IK5*R*5~"]
    assert registry.claim_slice(ack, "ANY") == []               # a 999 answers sets, not claims

    def isa(gs, st, body):
        return "~".join(["ISA*00*          *00*          *ZZ*A              *ZZ*B              *261127*0900*^*00501"
                         "*000000101*0*T*:", f"GS*{gs}*A*B*20261127*0900*1*X*005010", f"ST*{st}*0001", *body,
                         f"SE*{len(body) + 2}*0001", "GE*1*1", "IEA*1*000000101", ""]).encode()

    no_lx = isa("HP", "835", ["BPR*I*0*C*NON************20261127", "TRN*1*T1*1999999999", "N1*PR*PAYER",
                              "CLP*C1*4*165*0*0*12*P1", "SVC*HC:99213*120*0**1", "CAS*CO*16*120",
                              "CLP*C2*1*10*10*0*12*P2"])
    assert [s.tag for s in registry.claim_slice(no_lx, "C1")] == ["CLP", "SVC", "CAS"]
    no_2000b = isa("HN", "277", ["BHT*0085*08*X*20261127*0900*TH", "HL*1**20*1", "NM1*PR*2*PAYER*****PI*P1",
                                 "HL*2*1*19*1", "NM1*85*2*CLINIC*****XX*1234567893", "HL*3*2*PT",
                                 "NM1*QC*1*DOE*JANE****MI*M1", "TRN*2*C9", "STC*A7:562:85*20261127*U*165",
                                 "HL*4*2*PT", "TRN*2*C10"])
    assert [s.to_text() for s in registry.claim_slice(no_2000b, "C9")] == ["TRN*2*C9~", "STC*A7:562:85*20261127*U*165~"]


def test_claim_places_agree_with_the_835_parsers_claim_bytes():
    """Two readings of "where claim X is": the registry's loop tree and the 835 parser's offsets."""
    from include.edi.x835 import parse_835
    for path in sorted((SAMPLES / "835_005010X221A1").glob("*.835")):
        parsed = [(c.claim_id, ((c.offset, c.length),)) for r in parse_835(path) for c in r.claims]
        places = registry.claim_places(path)
        assert [(p.key, p.ranges) for p in places] == parsed, path.name
        assert all(path.read_bytes()[p.header_offset:].startswith(b"ISA") for p in places)


def test_a_277_of_no_known_version_is_read_by_its_hl_levels(tmp_path):
    """A 277 whose GS08 is no guide version of ours is read with the entry whose levels fit its HLs
    (22/23: the 277, PT: the 277CA), so its claims keep their places and slices, with a
    version_unknown finding in validate and the CLI; a known version gives no such finding."""
    from include.edi.__main__ import parse_file
    from include.edi.validate import validate_x12

    data = (SAMPLES / "demo" / "demo.277").read_bytes()
    odd = data.replace(b"005010X212", b"005010X999")
    assert odd != data
    t = read_interchanges(odd)[0].groups[0].transactions[0]
    entry, finding = registry.read_as(t, "odd.277")
    assert entry.name == "277" and finding.code == "version_unknown" and finding.element == "ST03"
    assert registry.read_as(read_interchanges(data)[0].groups[0].transactions[0]) == (registry.BY_NAME["277"], None)
    assert [p.key for p in registry.claim_places(odd)] == [p.key for p in registry.claim_places(data)] != []
    key = registry.claim_places(data)[0].key
    assert [s.to_text() for s in registry.claim_slice(odd, key)] == [s.to_text() for s in registry.claim_slice(data, key)]
    assert "version_unknown" in [f.code for f in validate_x12(odd)]
    assert "version_unknown" not in [f.code for f in validate_x12(data)]
    (tmp_path / "odd.277").write_bytes(odd)
    assert [f["code"] for f in parse_file(str(tmp_path / "odd.277"))["findings"]] == ["version_unknown"]
    ca = registry.BY_NAME["277CA"].build([ClaimStatus(claim_id="A", statuses=[Status("A1", "19", "PR")])],
                                         sender_id="P", receiver_id="R", interchange_control_number=1,
                                         group_control_number=1, created=dt.datetime(2026, 3, 1, 12, 0))
    t = read_interchanges(ca.replace(b"005010X214", b"005010"))[0].groups[0].transactions[0]
    assert registry.read_as(t)[0].name == "277CA"
