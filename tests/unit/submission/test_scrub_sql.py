"""Scrubbing as set-based SQL (scrub_findings) finds, word for word, what the rule functions find claim by
claim (scrub_claim over load_claims), on a real PostgreSQL with every rule's defects planted."""

from __future__ import annotations

import datetime as dt

import pytest

from include.billing import claims as ledger
from include.billing import scrub
from include.billing.rcm_sql import query

TODAY = dt.date.today()


def _expected(db) -> dict[int, list[tuple[str, str]]]:
    """What the rule functions find for every waiting claim: the first finding of each code, in order."""
    out = {}
    for c in scrub.load_claims(db):
        seen, found = set(), []
        for f in scrub.scrub_claim(c, TODAY):
            if f.code not in seen:
                seen.add(f.code)
                found.append((f.code, f.message))
        out[c.claim_id] = found
    return out


def _sql(db) -> dict[int, list[tuple[str, str]]]:
    rows = db.execute(query("submission", "scrub_findings"), {**scrub._judged_values(db), "today": TODAY, "through_claim_id": None}).fetchall()
    return {claim_id: list(zip(codes, messages)) for claim_id, _number, codes, messages in rows}


@pytest.fixture
def planted(db):
    """A small practice's new claims with each rule's defects planted on a few of them."""
    from include.practice.seed import seed_practice

    seed_practice(db, visits=150, seed=7, dirty_share=0.2)
    ledger.pick_up_visits(db, high_water=dt.datetime.now(dt.timezone.utc), actor="t")
    ledger.build_claims(db, actor="t")
    ids = [r[0] for r in db.execute("SELECT id FROM billing.claims ORDER BY id")]
    assert len(ids) > 60
    x = db.execute

    def line(claim_id, number=1, **sets):
        cols = ", ".join(f"{k} = %({k})s" for k in sets)
        x(f"UPDATE billing.claim_lines SET {cols} WHERE claim_id = %(c)s AND line_number = %(n)s",
          {**sets, "c": claim_id, "n": number})

    def claim(claim_id, **sets):
        cols = ", ".join(f"{k} = %({k})s" for k in sets)
        x(f"UPDATE billing.claims SET {cols} WHERE id = %(c)s", {**sets, "c": claim_id})

    # modifiers: too many, repeated, unknown; 25 off E/M and alone; 59/X{EPSU} on E/M
    line(ids[0], modifiers=["ZZ", "GP", "ZZ", "59", "Q9"])
    line(ids[1], procedure_code="97110", modifiers=["25"])
    line(ids[2], procedure_code="99213", modifiers=["25", "59"])
    x("DELETE FROM billing.claim_lines WHERE claim_id = %s AND line_number > 1", (ids[2],))
    line(ids[3], procedure_code="99214", modifiers=["XE", "GT", "XU"])
    line(ids[4], procedure_code="G0438", modifiers=["25"])
    # procedure code shape
    line(ids[5], procedure_code="A12B4")
    line(ids[6], procedure_code="9921")
    # diagnosis codes and pointers
    claim(ids[7], diagnosis_codes=[])
    claim(ids[8], diagnosis_codes=["E119", "I10", "J069", "R051", "M545", "K219", "N390", "R109", "E785", "F419",
                                   "G4700", "L309", "Z0000"])
    claim(ids[9], diagnosis_codes=["E11", "I10", "ZZZ99", None])
    line(ids[10], dx_pointers=[0, 5, 5])
    line(ids[11], dx_pointers=[])
    line(ids[12], dx_pointers=[1, 1, 2, 3, 4])
    # charges
    claim(ids[13], total_charge="0.00")
    line(ids[14], charge="0.00")
    claim(ids[15], total_charge="-12.50")
    x("DELETE FROM billing.claim_lines WHERE claim_id = %s", (ids[16],))
    # dates: in the future, and past a payer's timely-filing limit
    line(ids[17], service_date=TODAY + dt.timedelta(days=2))
    claim(ids[18], date_of_service=TODAY + dt.timedelta(days=1))
    payer = x("SELECT payer_id FROM billing.claims WHERE id = %s", (ids[19],)).fetchone()[0]
    x("UPDATE pm.payers SET timely_filing_days = 20 WHERE id = %s", (payer,))
    # duplicates: another visit of the same patient and rendering provider with the same line
    a, b = ids[20], ids[21]
    patient, provider, visit_b = x("""SELECT va.patient_id, va.rendering_provider_id, vb.id FROM billing.claims ca
                                      JOIN pm.visits va ON va.id = ca.visit_id, billing.claims cb
                                      JOIN pm.visits vb ON vb.id = cb.visit_id
                                      WHERE ca.id = %s AND cb.id = %s""", (a, b)).fetchone()
    x("UPDATE pm.visits SET patient_id = %s, rendering_provider_id = %s WHERE id = %s", (patient, provider, visit_b))
    day, code = x("SELECT service_date, procedure_code FROM billing.claim_lines WHERE claim_id = %s "
                  "AND line_number = 1", (a,)).fetchone()
    line(b, service_date=day, procedure_code=code)
    # NPIs (a bad check digit; blank) and payers without a clearinghouse id (blank, none)
    rendering = x("SELECT v.rendering_provider_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id "
                  "WHERE c.id = %s", (ids[22],)).fetchone()[0]
    x("UPDATE pm.providers SET npi = '1234567890' WHERE id = %s", (rendering,))
    referring = x("SELECT id FROM pm.providers WHERE id <> %s ORDER BY id LIMIT 1", (rendering,)).fetchone()[0]
    x("UPDATE pm.providers SET npi = ' ' WHERE id = %s", (referring,))
    x("UPDATE pm.visits SET referring_provider_id = %s WHERE id IN (SELECT visit_id FROM billing.claims "
      "WHERE id = ANY(%s))", (referring, ids[23:26]))
    payers = [r[0] for r in x("SELECT id FROM pm.payers WHERE id <> %s ORDER BY id LIMIT 2", (payer,))]
    x("UPDATE pm.payers SET payer_identifier = '  ' WHERE id = %s", (payers[0],))
    x("UPDATE pm.payers SET payer_identifier = NULL WHERE id = %s", (payers[1],))
    x("UPDATE billing.claims SET status = 'held' WHERE id = %s", (ids[26],))       # not waiting: not scrubbed
    return db, ids


def test_scrub_findings_say_what_the_rules_say_claim_by_claim(planted):
    db, ids = planted
    expected = _expected(db)
    assert _sql(db) == expected
    assert ids[26] not in expected
    # every rule is exercised, and some claims are clean
    assert {code for found in expected.values() for code, _m in found} == {code for code, _rule in scrub.RULES}
    assert any(not found for found in expected.values())


def test_scrub_pending_claims_holds_and_releases_as_the_rules_say(planted):
    db, ids = planted
    expected = _expected(db)
    result = scrub.scrub_pending_claims(db, actor="t", today=TODAY)
    items = db.execute("""SELECT claim_id, reason_code, explanation, details->>'claim_number'
                            FROM billing.work_queue WHERE source = 'scrubbing' ORDER BY id""").fetchall()
    numbers = dict(db.execute("SELECT id, claim_number FROM billing.claims").fetchall())
    assert items == [(cid, code, message, numbers[cid]) for cid, found in sorted(expected.items())
                     for code, message in found]
    status = dict(db.execute("SELECT id, status FROM billing.claims WHERE id = ANY(%s)", (list(expected),)).fetchall())
    assert {cid for cid, s in status.items() if s == "held"} == {cid for cid, f in expected.items() if f}
    assert {cid for cid, s in status.items() if s == "ready"} == {cid for cid, f in expected.items() if not f}
    assert result["claims_scrubbed"] == len(expected)
    events = db.execute("""SELECT claim_id, event_type, detail FROM billing.claim_events
                            WHERE event_type IN ('held_scrubbing', 'scrubbed_clean') ORDER BY claim_id""").fetchall()
    assert [(cid, e) for cid, e, _d in events] == [
        (cid, "held_scrubbing" if f else "scrubbed_clean") for cid, f in sorted(expected.items())]
    assert all(d == ({"reason_codes": sorted(code for code, _m in expected[cid])} if expected[cid] else {})
               for cid, _e, d in events)


def test_a_claim_naming_what_was_not_judged_waits_for_the_next_run(planted):
    """scrub_values and scrub_findings are two statements: a claim that became new in between, with a code
    or payer the first did not read, is left new (scrubbed next run), never passed unjudged."""
    db, ids = planted
    params = {**scrub._judged_values(db), "today": TODAY, "through_claim_id": None}
    late_code, late_payer = ids[30], ids[31]
    db.execute("UPDATE billing.claims SET diagnosis_codes = '{Z99999}' WHERE id = %s", (late_code,))
    payer = db.execute("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                          VALUES ('Late Payer', 'LATE1', 'CI')
                          RETURNING id""").fetchone()[0]
    db.execute("UPDATE billing.claims SET payer_id = %s WHERE id = %s", (payer, late_payer))
    found = {r[0] for r in db.execute(query("submission", "scrub_findings"), params).fetchall()}
    assert late_code not in found and late_payer not in found
    assert found == set(_expected(db)) - {late_code, late_payer}
    # judged again, they are scrubbed like any other
    assert _sql(db) == _expected(db)
