"""The item page reads and parses only the bytes of the one claim it shows (issue 19, item 7).

Posting an 835, storing a sent 837P and applying a 277CA or 999 record where each claim's loop
sits in the stored file (billing.edi_claim_slices); the page reads those bytes and the ISA's,
nothing else. Proved by overwriting every other byte of the stored file: the page still shows
the claim, while the whole-file parse (what the page did before, and still does for files
stored before migration 0017) cannot read the file any more.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from include.billing.edi_slices import scan
from include.billing.posting import post_stored_remittances
from tests.unit.posting.factory import denied_clp, file_835, paid_clp, remittance, seed_practice, store


def _excerpt(client, item_id: int) -> tuple[list[str], str]:
    page = client.get(f"/billing/items/{item_id}")
    assert page.status_code == 200
    html = page.text
    if 'id="excerpt">' not in html:
        return [], html
    return html.split('id="excerpt">')[1].split("</pre>")[0].splitlines(), html


def _slices(db, file_id):
    return db.execute("""SELECT c.claim_number, s.header_offset, s.offsets, s.lengths
                           FROM billing.edi_claim_slices s JOIN billing.claims c ON c.id = s.claim_id
                          WHERE s.edi_file_id = %s ORDER BY s.offsets[1]""", (file_id,)).fetchall()


@pytest.fixture
def posted(db, billing_db_conn):
    """Three claims paid, denied, paid in one 835 (one payment run), posted; a work item on the denial."""
    c1, c2, c3 = seed_practice(db, 3)
    data = file_835([remittance([paid_clp(c1), denied_clp(c2, carc="16", rarc="M76"), paid_clp(c3)])])
    file_id = store(db, "run.835", data)
    assert post_stored_remittances(db, actor="test:slices")["claims_posted"] == 3
    item = db.execute("""INSERT INTO billing.work_queue (claim_id, edi_file_id, source, reason_code, explanation,
                                                          dedupe_key)
                         VALUES (%s, %s, 'denial', 'DENIAL_CO_16', 'denied: missing information', 'k-slices')
                         RETURNING id""", (c2["id"], file_id)).fetchone()[0]
    db.commit()
    return {"claims": (c1, c2, c3), "file_id": file_id, "data": data, "item": item}


def test_posting_records_each_clp_loop_of_the_835(db, posted):
    data = posted["data"]
    rows = _slices(db, posted["file_id"])
    assert [r[0] for r in rows] == [c["claim_number"] for c in posted["claims"]]
    text = data.decode()
    for number, header, offsets, lengths in rows:
        assert data[header:header + 4] == b"ISA*"
        (off,), (length,) = offsets, lengths
        loop = text[off:off + length]
        # CLP .. up to (not including) the next CLP or the SE: the claim's own loop and nothing else
        assert loop.startswith(f"CLP*{number}*")
        assert loop.count("CLP*") == 1 and "SE*" not in loop and "BPR*" not in loop
        assert text[off + length:].startswith(("CLP*", "SE*"))


def test_the_page_shows_the_claim_from_its_slice_and_never_parses_the_whole_file(client, db, posted):
    c2 = posted["claims"][1]
    before, _ = _excerpt(client, posted["item"])
    assert before[0].startswith(f"CLP*{c2['claim_number']}*4*")
    assert "CAS*CO*16*" in "\n".join(before) and "LQ*HE*M76~" not in before[0]
    assert not any(c["claim_number"] in "\n".join(before) for c in posted["claims"] if c is not c2)

    # overwrite every byte of the stored file except the ISA and this claim's loop (same length,
    # so the recorded offsets still point at the claim): nothing else of the file is X12 any more
    data = posted["data"]
    ((_, header, (off,), (length,)),) = [r for r in _slices(db, posted["file_id"]) if r[0] == c2["claim_number"]]
    keep = {*range(header, header + 106), *range(off, off + length)}
    garbage = bytes(b if i in keep else 0xFF for i, b in enumerate(data))
    db.execute("UPDATE billing.edi_files SET content = %s WHERE id = %s", (garbage, posted["file_id"]))
    db.commit()

    after, html = _excerpt(client, posted["item"])
    assert after == before and "cannot be read" not in html

    # the whole-file parse - the fallback for files stored before migration 0017, which have no
    # recorded slices - cannot read the corrupted file: the page above did not parse it whole
    db.execute("DELETE FROM billing.edi_claim_slices WHERE edi_file_id = %s", (posted["file_id"],))
    db.commit()
    fallback, html = _excerpt(client, posted["item"])
    assert fallback == [] and "run.835: cannot be read (X12Error)" in html


def test_a_file_without_recorded_slices_is_still_shown_by_the_whole_file_parse(client, db, posted):
    """A file stored before migration 0017: the page parses it whole, as it always did."""
    expected, _ = _excerpt(client, posted["item"])
    db.execute("DELETE FROM billing.edi_claim_slices WHERE edi_file_id = %s", (posted["file_id"],))
    db.commit()
    assert _excerpt(client, posted["item"])[0] == expected


def test_a_reversed_and_re_paid_claim_shows_both_of_its_loops(client, db, billing_db_conn):
    from tests.unit.posting.factory import negate

    (c1,) = seed_practice(db, 1)
    first = paid_clp(c1)
    store(db, "a.835", file_835([remittance([first], trace="T1")]))
    post_stored_remittances(db, actor="test:slices")
    again = paid_clp(c1, paid_pct=Decimal("0.60"))
    file_id = store(db, "b.835", file_835([remittance([negate(first), again], trace="T2")]))
    post_stored_remittances(db, actor="test:slices")
    item = db.execute("""INSERT INTO billing.work_queue (claim_id, edi_file_id, source, reason_code, explanation,
                                                          dedupe_key)
                         VALUES (%s, %s, 'remittance', 'X', 'x', 'k-rev') RETURNING id""",
                      (c1["id"], file_id)).fetchone()[0]
    db.commit()
    lines, _ = _excerpt(client, item)
    clps = [s for s in lines if s.startswith("CLP*")]
    assert [s.split("*")[2] for s in clps] == ["22", "1"]


# --- the other files the page shows ----------------------------------------------------------------

def test_an_837_slice_holds_the_claims_subscriber_and_patient_loops_and_only_its_claim():
    from include.edi.x837p import build_837p
    from tests.unit.edi.edi_factories import CREATED, RECEIVER, SUBMITTER, claim, dependent_claim

    own, kid = claim(1), dependent_claim(1)      # a subscriber's own claim; a subscriber's child's claim
    kid.claim_id = "C000009"
    data = build_837p([own, kid, claim(2)], submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1,
                      group_control_number=1, first_transaction_control_number=1, created=CREATED,
                      usage_indicator="T")
    text = data.decode()
    slices = {s.key: s for s in scan(data, "837P")}
    assert set(slices) == {"C000001", "C000009", "C000002"}

    def segments(key):
        s = slices[key]
        assert text[s.header_offset:].startswith("ISA*")
        return [seg for off, n in s.ranges for seg in text[off:off + n].replace("\n", "").split("~") if seg]

    kid_segs = segments("C000009")
    tags = [s.split("*")[0] for s in kid_segs]
    assert kid_segs[0].endswith("*22*1") and tags[:3] == ["HL", "SBR", "NM1"]     # the subscriber (2000B)
    hl23 = tags.index("HL", 1)
    assert kid_segs[hl23].endswith("*23*0") and kid_segs[hl23 + 2].startswith("NM1*QC*")   # the patient (2000C)
    assert [s for s in kid_segs if s.startswith("CLM*")] == [next(s for s in kid_segs if s.startswith("CLM*C000009*"))]
    own_segs = segments("C000001")
    assert own_segs[0].startswith("HL*") and own_segs[0].split("*")[3] == "22"
    assert not any(s.startswith(("NM1*QC", "PAT*")) for s in own_segs)
    assert [s.split("*")[1] for s in own_segs if s.startswith("CLM*")] == ["C000001"]


def test_277ca_and_999_slices_are_the_claims_loop_and_the_transaction_sets_answer():
    from tests.unit.ui.ledger import isa

    ack = isa("HN", "277", ["BHT*0085*08*1*20261127*0900*TH", "HL*1**20*1", "NM1*PR*2*SANDBOX*****46*SB1",
                            "HL*2*1*21*1", "NM1*41*2*PRACTICE*****46*P1", "HL*3*2*19*1", "NM1*85*2*CLINIC*****XX*1234567893",
                            "HL*4*3*PT", "NM1*QC*1*DOE*JANE****MI*M1", "TRN*2*V0000003P1",
                            "STC*A7:562:85*20261127*WQ*120", "HL*5*3*PT", "NM1*QC*1*ROE*RICK****MI*M2",
                            "TRN*2*V0000009P1", "STC*A1:20*20261127*WQ*80"])
    text = ack.decode()
    (first, second) = scan(ack, "277CA")
    (off, n), = first.ranges
    assert first.key == "V0000003P1"
    assert text[off:off + n].split("~\n")[:3] == ["NM1*QC*1*DOE*JANE****MI*M1", "TRN*2*V0000003P1",
                                                  "STC*A7:562:85*20261127*WQ*120"]
    assert text[off + n:].startswith("HL*5*") and second.key == "V0000009P1"

    fa = isa("FA", "999", ["AK1*HC*101*005010X222A1", "AK2*837*0007", "IK5*A", "AK2*837*0001",
                           "IK3*NM1*12*2010BA*8", "IK4*9*67*7*BADID", "IK5*R*5", "AK9*R*2*2*1"])
    loops = {s.key: fa.decode()[s.ranges[0][0]:sum(s.ranges[0])] for s in scan(fa, "999")}
    assert loops == {(101, 7): "AK2*837*0007~\nIK5*A~\n",
                     (101, 1): "AK2*837*0001~\nIK3*NM1*12*2010BA*8~\nIK4*9*67*7*BADID~\nIK5*R*5~\n"}


def test_applied_999_and_277ca_record_the_loops_the_page_shows(client, db, billing_db_conn):
    from include.billing.acknowledgments import apply_pending_responses
    from tests.unit.responses.test_responses import ack999, add_batch, ca277

    claims = seed_practice(db, 3)
    add_batch(db, claims[:2], gcn=502)
    f999 = store(db, "999_b.x12", ack999(502, 1, accepted=False))
    f277 = store(db, "277ca.x12", ca277([claims[2], claims[0]], rejected={claims[2]["claim_number"]}))
    apply_pending_responses(db, actor="test:slices")
    assert sorted(r[0] for r in _slices(db, f999)) == [claims[0]["claim_number"], claims[1]["claim_number"]]
    assert sorted(r[0] for r in _slices(db, f277)) == sorted([claims[0]["claim_number"], claims[2]["claim_number"]])

    by_file = dict(db.execute("SELECT edi_file_id, id FROM billing.work_queue WHERE claim_id = ANY(%s)",
                              ([c["id"] for c in claims],)).fetchall())
    lines, _ = _excerpt(client, by_file[f999])
    assert lines[0].startswith("AK2*837*0001*") and lines[-1].startswith("IK5*R") and "AK9" not in lines[-1]
    lines, _ = _excerpt(client, by_file[f277])
    joined = "\n".join(lines)
    assert f"TRN*2*{claims[2]['claim_number']}~" in lines and "STC*A7:454" in joined
    assert claims[0]["claim_number"] not in joined
