"""Scrubbing as set-based SQL (scrub_findings, through scrub.scrub_claims_sql and scrub_pending_claims) on a
seeded practice with each of the 12 rules' defects planted on its own claim: every planted claim gets the
finding the rule says, code and message worked out here from the rule; every other claim is clean."""

from __future__ import annotations

import datetime as dt

import pytest

from include.billing import claims as ledger
from include.billing import scrub
from include.billing.rcm_sql import query

TODAY = dt.date.today()
NPI_MSG = ("The {} provider NPI fails the NPI check-digit test (10 digits, Luhn over prefix 80840); correct it "
           "in the provider file.")
DUP = "line {} repeats a line of claim {} (same patient, date, code and rendering provider)"
PAYER_UNKNOWN = ("SCRUB_PAYER_UNKNOWN", "The payer has no clearinghouse payer id; add it to the payer file before "
                                        "the claim can be sent.")


def _found(db, claim_ids=None) -> dict[int, list[tuple[str, str]]]:
    return {cid: [(f.code, f.message) for f in s.findings]
            for cid, s in scrub.scrub_claims_sql(db, claim_ids, TODAY).items()}


@pytest.fixture
def planted(db):
    """A small clean practice's new claims, with one rule's defect planted per claim (and a few with several).
    Returns db, the claim ids and the expected findings of the planted claims (the others: none)."""
    from include.practice.seed import seed_practice

    seed_practice(db, visits=150, seed=7, dirty_share=0.0)
    ledger.pick_up_visits(db, high_water=dt.datetime.now(dt.timezone.utc), actor="t")
    ledger.build_claims(db, actor="t")
    ids = [r[0] for r in db.execute("SELECT id FROM billing.claims ORDER BY id")]
    assert len(ids) > 60
    x = db.execute

    def one(sql, *args):
        return x(sql, args).fetchone()

    def simple(claim_id, lines=1):
        """The claim with `lines` lines (line 1 and copies of it), pointer 1 of diagnoses J069 and I10, no
        modifiers, its total the sum of its lines: then the planted defect alone."""
        x("DELETE FROM billing.claim_lines WHERE claim_id = %s AND line_number > %s", (claim_id, lines))
        x("""INSERT INTO billing.claim_lines (claim_id, line_number, line_control_number, procedure_code, units,
                                              charge, service_date)
             SELECT l.claim_id, n, l.line_control_number || '-' || n, l.procedure_code, l.units, l.charge,
                    l.service_date
               FROM billing.claim_lines l, generate_series(2, %(n)s) n
              WHERE l.claim_id = %(c)s AND l.line_number = 1
             ON CONFLICT (claim_id, line_number) DO NOTHING""", {"c": claim_id, "n": lines})
        x("UPDATE billing.claim_lines SET modifiers = '{}', dx_pointers = '{1}' WHERE claim_id = %s", (claim_id,))
        x("UPDATE billing.claims SET diagnosis_codes = '{J069,I10}', total_charge = (SELECT sum(charge) FROM "
          "billing.claim_lines WHERE claim_id = %(c)s) WHERE id = %(c)s", {"c": claim_id})

    def line(claim_id, number=1, **sets):
        cols = ", ".join(f"{k} = %({k})s" for k in sets)
        x(f"UPDATE billing.claim_lines SET {cols} WHERE claim_id = %(c)s AND line_number = %(n)s",
          {**sets, "c": claim_id, "n": number})

    def claim(claim_id, **sets):
        cols = ", ".join(f"{k} = %({k})s" for k in sets)
        x(f"UPDATE billing.claims SET {cols} WHERE id = %(c)s", {**sets, "c": claim_id})

    def visit_of(claim_id):
        return one("SELECT visit_id FROM billing.claims WHERE id = %s", claim_id)[0]

    def number(claim_id):
        return one("SELECT claim_number FROM billing.claims WHERE id = %s", claim_id)[0]

    expected: dict[int, list[tuple[str, str]]] = {}
    # SCRUB_NPI: a rendering provider with a bad check digit; a blank referring NPI
    bad = one("INSERT INTO pm.providers (npi, last_name, first_name) VALUES ('1234567890', 'BAD', 'NPI') "
              "RETURNING id")[0]
    blank = one("INSERT INTO pm.providers (npi, last_name, first_name) VALUES (' ', 'BLANK', 'NPI') RETURNING id")[0]
    x("UPDATE pm.visits SET rendering_provider_id = %s WHERE id = %s", (bad, visit_of(ids[22])))
    x("UPDATE pm.visits SET referring_provider_id = %s WHERE id = %s", (blank, visit_of(ids[23])))
    expected[ids[22]] = [("SCRUB_NPI", NPI_MSG.format("rendering"))]
    expected[ids[23]] = [("SCRUB_NPI", NPI_MSG.format("referring"))]
    # SCRUB_ICD10_NOT_BILLABLE: a category, a code not in the set, none (positions, never the codes)
    claim(ids[9], diagnosis_codes=["E11", "I10", "ZZZ99", None])
    x("UPDATE billing.claim_lines SET dx_pointers = '{2}' WHERE claim_id = %s", (ids[9],))
    expected[ids[9]] = [("SCRUB_ICD10_NOT_BILLABLE", "Diagnosis position(s) 1, 3, 4 are not billable ICD-10-CM "
                         "codes (a category or header, or not in the code set); code to the highest specificity.")]
    # SCRUB_CPT_FORMAT
    simple(ids[5], 2)
    line(ids[5], 1, procedure_code="A12B4")
    line(ids[5], 2, procedure_code="9921")
    expected[ids[5]] = [("SCRUB_CPT_FORMAT", "Line(s) 1, 2: procedure code is not a CPT (5 characters) or HCPCS "
                                             "(letter + 4 digits) code.")]
    # SCRUB_MODIFIER: too many, repeated, unknown
    simple(ids[0])
    line(ids[0], procedure_code="97110", modifiers=["ZZ", "GP", "ZZ", "59", "Q9"])
    expected[ids[0]] = [("SCRUB_MODIFIER", "Modifier problem: line 1 has 5 modifiers (at most 4); line 1 repeats "
                                           "a modifier; line 1 has unknown modifier(s) ZZ, ZZ, Q9.")]
    # SCRUB_MODIFIER_25: on a CPT code outside E/M; on the only service of the day
    simple(ids[1], 2)
    line(ids[1], 1, procedure_code="97110", modifiers=["25"])
    line(ids[1], 2, procedure_code="99213")
    expected[ids[1]] = [("SCRUB_MODIFIER_25", "Modifier 25 problem: line 1: modifier 25 is for E/M codes "
                                              "(99202-99499), not 97110.")]
    simple(ids[4])
    line(ids[4], procedure_code="G0438", modifiers=["25"])
    expected[ids[4]] = [("SCRUB_MODIFIER_25", "Modifier 25 problem: line 1: modifier 25 on G0438 needs another "
                                              "service billed on the same date on this claim; without one, remove it.")]
    # SCRUB_MODIFIER_59: 59 and its X subsets on an E/M (and 25 alone on it)
    simple(ids[2])
    line(ids[2], procedure_code="99213", modifiers=["25", "59"])
    simple(ids[3], 2)
    line(ids[3], 1, procedure_code="99214", modifiers=["XE", "GT", "XU"])
    line(ids[3], 2, procedure_code="97110")
    expected[ids[2]] = [
        ("SCRUB_MODIFIER_25", "Modifier 25 problem: line 1: modifier 25 on 99213 needs another service billed on "
                              "the same date on this claim; without one, remove it."),
        ("SCRUB_MODIFIER_59", "Modifier 59 (or XE/XP/XS/XU) never goes on an E/M code: line 1 (99213-59); an E/M "
                              "separate from a procedure takes 25.")]
    expected[ids[3]] = [("SCRUB_MODIFIER_59", "Modifier 59 (or XE/XP/XS/XU) never goes on an E/M code: line 1 "
                         "(99214-XE), line 1 (99214-XU); an E/M separate from a procedure takes 25.")]
    # SCRUB_DX_POINTER: no diagnosis; 13; a bad, a repeated pointer; none; five
    simple(ids[7])
    claim(ids[7], diagnosis_codes=[])
    simple(ids[8])
    claim(ids[8], diagnosis_codes=["E119", "I10", "J069", "R051", "M5450", "K219", "N390", "R109", "E785", "F419",
                                   "G4700", "L309", "Z0000"])
    simple(ids[10], 3)
    line(ids[10], 1, dx_pointers=[0, 5, 5])
    line(ids[10], 2, dx_pointers=[])
    line(ids[10], 3, dx_pointers=[1, 1, 2, 2, 1])
    expected[ids[7]] = [("SCRUB_DX_POINTER", "Diagnosis pointer problem: the claim has no diagnosis; line 1 points "
                                             "to diagnosis 1 but the claim has 0.")]
    expected[ids[8]] = [("SCRUB_DX_POINTER", "Diagnosis pointer problem: the claim has 13 diagnoses (at most 12).")]
    expected[ids[10]] = [("SCRUB_DX_POINTER", "Diagnosis pointer problem: line 1 points to diagnosis 0, 5, 5 but the "
                          "claim has 2; line 1 repeats a pointer; line 2 has 0 diagnosis pointers (1 to 4); line 3 "
                          "has 5 diagnosis pointers (1 to 4); line 3 repeats a pointer.")]
    # SCRUB_TOTALS
    simple(ids[13])
    claim(ids[13], total_charge="0.00")
    charge = one("SELECT charge FROM billing.claim_lines WHERE claim_id = %s", ids[13])[0]
    simple(ids[14], 2)
    line(ids[14], 2, charge="0.00")
    first = one("SELECT charge FROM billing.claim_lines WHERE claim_id = %s AND line_number = 1", ids[14])[0]
    claim(ids[14], total_charge=first + 1)
    x("DELETE FROM billing.claim_lines WHERE claim_id = %s", (ids[16],))
    total16 = one("SELECT total_charge FROM billing.claims WHERE id = %s", ids[16])[0]
    expected[ids[13]] = [("SCRUB_TOTALS", f"Charge problem: claim total 0.00 differs from the sum of its lines "
                                          f"{charge}; the claim total is not positive.")]
    expected[ids[14]] = [("SCRUB_TOTALS", f"Charge problem: claim total {first + 1} differs from the sum of its "
                                          f"lines {first}; line(s) 2 have no positive charge.")]
    expected[ids[16]] = [("SCRUB_TOTALS", f"Charge problem: the claim has no service lines; claim total {total16} "
                                          f"differs from the sum of its lines 0.")]
    # SCRUB_DOS_FUTURE: a line's date, the claim's date
    future = ("SCRUB_DOS_FUTURE", "The date of service is in the future; a claim can be billed only after the "
                                  "service was given.")
    line(ids[17], service_date=TODAY + dt.timedelta(days=2))
    claim(ids[18], date_of_service=TODAY + dt.timedelta(days=1))
    expected[ids[17]] = expected[ids[18]] = [future]
    # SCRUB_TIMELY_FILING: a payer of 20 days (its own, for this claim only)
    late = one("INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator, timely_filing_days) "
               "VALUES ('Quick Payer', 'QUICK1', 'CI', 20) RETURNING id")[0]
    claim(ids[19], payer_id=late)
    start = one("SELECT least(c.date_of_service, min(l.service_date)) FROM billing.claims c JOIN billing.claim_lines l "
                "ON l.claim_id = c.id WHERE c.id = %s GROUP BY c.date_of_service", ids[19])[0]
    deadline = start + dt.timedelta(days=20)
    assert TODAY > deadline, "the seeded practice's visits are more than 20 days old"
    expected[ids[19]] = [("SCRUB_TIMELY_FILING", f"The payer's timely-filing limit (20 days from the date of "
                          f"service) passed on {deadline.isoformat()}; send with proof of timely filing or write off.")]
    # SCRUB_DUPLICATE: another visit of the same patient and rendering provider with the same line
    a, b = ids[20], ids[21]
    patient, provider = one("SELECT patient_id, rendering_provider_id FROM pm.visits WHERE id = %s", visit_of(a))
    x("UPDATE pm.visits SET patient_id = %s, rendering_provider_id = %s WHERE id = %s", (patient, provider,
                                                                                        visit_of(b)))
    day, code = one("SELECT service_date, procedure_code FROM billing.claim_lines WHERE claim_id = %s "
                    "AND line_number = 1", a)
    simple(b)
    line(b, service_date=day, procedure_code=code)
    expected[b] = [("SCRUB_DUPLICATE", f"Possible duplicate: {DUP.format(1, number(a))}.")]
    # SCRUB_PAYER_UNKNOWN: a blank clearinghouse id; none at all
    blank_payer = one("INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator) "
                      "VALUES ('Blank Payer', '  ', 'CI') RETURNING id")[0]
    claim(ids[24], payer_id=blank_payer)
    claim(ids[25], payer_id=None)
    expected[ids[24]] = expected[ids[25]] = [PAYER_UNKNOWN]
    x("UPDATE billing.claims SET status = 'held' WHERE id = %s", (ids[26],))       # not waiting: not scrubbed
    assert {code for found in expected.values() for code, _m in found} == {
        "SCRUB_NPI", "SCRUB_ICD10_NOT_BILLABLE", "SCRUB_CPT_FORMAT", "SCRUB_MODIFIER", "SCRUB_MODIFIER_25",
        "SCRUB_MODIFIER_59", "SCRUB_DX_POINTER", "SCRUB_TOTALS", "SCRUB_DOS_FUTURE", "SCRUB_TIMELY_FILING",
        "SCRUB_DUPLICATE", "SCRUB_PAYER_UNKNOWN"}
    return db, ids, expected


def test_each_planted_defect_is_found_as_its_rule_says(planted):
    db, ids, expected = planted
    found = _found(db)
    assert ids[26] not in found
    assert {cid: f for cid, f in found.items() if f} == expected
    assert set(found) == set(ids) - {ids[26]}


def test_named_claims_are_scrubbed_whatever_their_status(planted):
    """The one-claim path (a corrected claim released from the work queue): the same findings for a named
    claim in any status, judged against the same other claims (the duplicate) as when it waited."""
    db, ids, expected = planted
    statuses = ["held", "rejected", "ready", "submitted", "accepted", "denied"]
    named = [ids[0], ids[5], ids[19], ids[21], ids[22], ids[24], ids[30]]
    for cid, status in zip(named, statuses * 2):
        db.execute("UPDATE billing.claims SET status = %s WHERE id = %s", (status, cid))
    for cid in named:
        assert _found(db, [cid]) == {cid: expected.get(cid, [])}
    assert _found(db, named) == {cid: expected.get(cid, []) for cid in named}
    assert _found(db, [ids[26]]) == {ids[26]: []}                 # held, named: scrubbed (clean)


def test_scrub_pending_claims_holds_and_releases_as_the_rules_say(planted):
    db, ids, expected = planted
    waiting = set(ids) - {ids[26]}
    result = scrub.scrub_pending_claims(db, actor="t", today=TODAY)
    items = db.execute("""SELECT claim_id, reason_code, explanation, details->>'claim_number'
                            FROM billing.work_queue WHERE source = 'scrubbing' ORDER BY id""").fetchall()
    numbers = dict(db.execute("SELECT id, claim_number FROM billing.claims").fetchall())
    assert items == [(cid, code, message, numbers[cid]) for cid, found in sorted(expected.items())
                     for code, message in found]
    status = dict(db.execute("SELECT id, status FROM billing.claims WHERE id = ANY(%s)", (list(waiting),)).fetchall())
    assert {cid for cid, s in status.items() if s == "held"} == set(expected)
    assert {cid for cid, s in status.items() if s == "ready"} == waiting - set(expected)
    assert result["claims_scrubbed"] == len(waiting)
    assert result["by_reason"] == {code: sum(code in dict(f) for f in expected.values())
                                   for code in {c for f in expected.values() for c, _m in f}}
    events = db.execute("""SELECT claim_id, event_type, detail FROM billing.claim_events
                            WHERE event_type IN ('held_scrubbing', 'scrubbed_clean') ORDER BY claim_id""").fetchall()
    assert [(cid, e) for cid, e, _d in events] == [
        (cid, "held_scrubbing" if cid in expected else "scrubbed_clean") for cid in sorted(waiting)]
    assert all(d == ({"reason_codes": sorted(code for code, _m in expected[cid])} if cid in expected else {})
               for cid, _e, d in events)


def test_a_claim_naming_what_was_not_judged_waits_for_the_next_run(planted):
    """scrub_values and scrub_findings are two statements: a claim that became new in between, with a code
    or payer the first did not read, is left new (scrubbed next run), never passed unjudged."""
    db, ids, expected = planted
    params = {**scrub._judged_values(db), "today": TODAY}
    late_code, late_payer = ids[30], ids[31]
    db.execute("UPDATE billing.claims SET diagnosis_codes = '{Z99999}' WHERE id = %s", (late_code,))
    db.execute("UPDATE billing.claim_lines SET dx_pointers = '{1}' WHERE claim_id = %s", (late_code,))
    payer = db.execute("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                          VALUES ('Late Payer', 'LATE1', 'CI')
                          RETURNING id""").fetchone()[0]
    db.execute("UPDATE billing.claims SET payer_id = %s WHERE id = %s", (payer, late_payer))
    found = {r[0] for r in db.execute(query("submission", "scrub_findings"), params).fetchall()}
    assert found == set(ids) - {ids[26], late_code, late_payer}
    # judged again, they are scrubbed like any other: the code is no ICD-10-CM code, the payer is fine
    again = _found(db)
    assert again[late_code] == [("SCRUB_ICD10_NOT_BILLABLE", "Diagnosis position(s) 1 are not billable ICD-10-CM "
                                 "codes (a category or header, or not in the code set); code to the highest "
                                 "specificity.")]
    assert again[late_payer] == []
