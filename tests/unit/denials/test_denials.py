"""Denial classification (code tables) and routing: correct → replacement, appeal, write-off."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from include.billing import workqueue
from include.billing.appeals import chromium_binary
from include.billing.carc import ACTIONS, CATEGORIES, classify, is_denial, load_table
from include.billing.denials import create_replacements, route_denials
from include.billing.posting import post_stored_remittances
from include.edi.x835 import Adjustment
from tests.unit.posting.factory import denied_clp, file_835, paid_clp, remittance, seed_practice, snapshot, store

ACTOR = "test:denials"
TODAY = dt.date(2026, 3, 21)

# every CARC/RARC the sandbox sends, with the routing the billing office expects
SANDBOX_CODES = [
    ("CO", "16", ["M51"], "coding", "correct"),
    ("CO", "97", ["M15"], "bundling", "write_off"),
    ("CO", "50", ["N115"], "medical necessity", "appeal"),
    ("CO", "29", [], "timely filing", "write_off"),
    ("CO", "197", ["N54"], "authorization", "appeal"),
    ("CO", "22", ["MA04"], "coordination of benefits", "correct"),
    ("CO", "18", [], "duplicate", "write_off"),
    ("PR", "1", [], "patient responsibility", "patient"),
    ("PR", "2", [], "patient responsibility", "patient"),
    ("PR", "3", [], "patient responsibility", "patient"),
    ("OA", "23", [], "coordination of benefits", "info"),
    ("CO", "45", [], "contractual", "contractual"),
]


@pytest.mark.parametrize("group,carc,rarcs,category,action", SANDBOX_CODES,
                         ids=[f"{g}-{c}" for g, c, *_ in SANDBOX_CODES])
def test_sandbox_codes_are_classified(group, carc, rarcs, category, action):
    c = classify(group, carc, rarcs)
    assert (c.category, c.action) == (category, action)
    assert c.reason_code == f"CARC_{group}-{carc}"
    assert carc in load_table("carc")
    assert is_denial(group, carc) == (action in ("correct", "appeal", "write_off"))
    assert c.description and f"{group}-{carc}" in c.explanation()


def test_code_tables_are_well_formed():
    for name in ("carc", "rarc"):
        table = load_table(name)
        assert len(table) >= 15
        for code in table.values():
            assert code.category in CATEGORIES and code.action in ACTIONS and code.description


def test_unknown_code_goes_to_a_person():
    c = classify("CO", "Z99")
    assert c.action == "correct" and "not in the code table" in c.description


def _post(db, clps, trace="T1"):
    store(db, f"{trace}.835", file_835([remittance(clps, trace=trace)]))
    return post_stored_remittances(db, actor=ACTOR)


def test_routing_by_action(db, tmp_path):
    c16, c50, c29, c97, ok = seed_practice(db, 5)
    part = paid_clp(c97)
    ln = part.lines[1]
    part.paid -= ln.paid
    ln.adjustments, ln.paid = [Adjustment("CO", "97", ln.charge)], 0
    _post(db, [denied_clp(c16, "CO", "16", "M51"), denied_clp(c50, "CO", "50", "N115"),
               denied_clp(c29, "CO", "29"), part, paid_clp(ok)])
    out = route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    assert out["routed"] == 4
    assert out["by_action"] == {"correct_and_replace": 1, "appeal": 1, "write_off": 2}
    items = {r[0]: r[1:] for r in db.execute(
        "SELECT claim_id, reason_code, state, due_date, details->>'action' FROM billing.work_queue "
        "WHERE source = 'denial'").fetchall()}
    assert items[c16["id"]][:2] == ("CARC_CO-16", "open")
    assert items[c50["id"]][0] == "CARC_CO-50"
    # appeal deadline: a commercial plan (CI) allows 180 days from the notice (29 CFR 2560.503-1(h)(3)(i))
    assert items[c50["id"]][2] == dt.date(2026, 9, 16)
    assert items[c29["id"]][1] == "written_off"
    assert ok["id"] not in items
    statuses = dict(db.execute("SELECT id, status FROM billing.claims").fetchall())
    assert statuses[c29["id"]] == "written_off" and statuses[c97["id"]] == "partially_paid"
    assert items[c97["id"]][1] == "written_off"
    assert db.execute("SELECT detail->>'reason' FROM billing.claim_events WHERE claim_id = %s AND "
                      "event_type = 'line_written_off'", (c97["id"],)).fetchone()[0] == "bundled"
    assert statuses[c16["id"]] == "denied"
    reason = db.execute("SELECT detail->>'reason' FROM billing.claim_events WHERE claim_id = %s AND "
                        "to_status = 'written_off'", (c29["id"],)).fetchone()[0]
    assert reason == "timely_filing"
    # the appeal packet: HTML, 0600, no PHI in the name, the claim and reasons inside
    files = sorted(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".html"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert "DOE" not in files[0].name and "PAT" not in files[0].name
    html = files[0].read_text()
    assert c50["claim_number"] in html and "CO-50" in html and "N115" in html and "September 16, 2026" in html
    # routing twice changes nothing
    before = snapshot(db)
    assert route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)["routed"] == 0
    assert snapshot(db) == before


def test_resolved_with_correction_becomes_a_replacement(db, tmp_path):
    c1, c2 = seed_practice(db, 2)
    _post(db, [denied_clp(c1, "CO", "4"), denied_clp(c2, "CO", "22", "MA04")])
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    items = dict(db.execute("SELECT claim_id, id FROM billing.work_queue WHERE reason_code LIKE 'CARC_%'"))
    cob = db.execute("SELECT id FROM billing.work_queue WHERE reason_code = 'COB_COVERAGE_ORDER'").fetchone()[0]
    for cid in (c1["id"], c2["id"]):
        workqueue.correct(db, items[cid], "modifiers", "", actor="user:alice", line_number=1)
        workqueue.resolve(db, items[cid], actor="user:alice", note="checked")
    db.commit()
    # the COB denial waits for its coverage check; the CO-4 correction becomes a frequency-7 replacement
    assert create_replacements(db, actor=ACTOR) == {"replacements": 1}
    workqueue.resolve(db, cob, actor="user:alice", note="coverage order confirmed")
    db.commit()
    assert create_replacements(db, actor=ACTOR) == {"replacements": 1}
    assert create_replacements(db, actor=ACTOR) == {"replacements": 0}
    made = db.execute("SELECT replaces_claim_id, frequency_code, status FROM billing.claims WHERE version = 2 "
                      "ORDER BY replaces_claim_id").fetchall()
    assert made == [(c1["id"], "7", "ready"), (c2["id"], "1", "ready")]


@pytest.mark.skipif(chromium_binary() is None, reason="Chromium is not installed")
def test_appeal_packet_pdf(db, tmp_path, monkeypatch):
    from include.billing.appeals import print_pending_pdfs

    monkeypatch.setenv("BILLING_APPEAL_PDF", "1")
    (c1,) = seed_practice(db, 1)
    _post(db, [denied_clp(c1, "CO", "197", "N54")])
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path)
    assert list(tmp_path.glob("*.pdf")) == []
    assert print_pending_pdfs(db) == {"printed": 1, "enabled": True}
    assert print_pending_pdfs(db) == {"printed": 0, "enabled": True}
    files = db.execute("SELECT details->'appeal_packet'->'files' FROM billing.work_queue").fetchone()[0]
    assert len(files) == 2 and files[1].endswith(".pdf")
    pdfs = list(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 1 and pdfs[0].read_bytes()[:5] == b"%PDF-"
    assert stat.S_IMODE(os.stat(pdfs[0]).st_mode) == 0o600
