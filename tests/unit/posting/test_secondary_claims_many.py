"""One 835 that leaves many visits to a secondary payer: every secondary claim is created in the
same remittance (set-based), each with its own claim, lines and events, and the figures below
are worked out by hand from the rules (docs/accounts.md), not read back from the code."""
from __future__ import annotations

import json
from decimal import Decimal

from include.billing.posting import post_stored_remittances
from tests.unit.posting.factory import file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:posting-many"
N = 30


def _copay(i: int) -> Decimal:
    # claim i leaves the patient a copay of i dollars, except every 9th, which leaves nothing
    return Decimal(0) if i % 9 == 0 else Decimal(i)


def test_one_835_creates_every_secondary_claim_with_its_lines_and_events(db):
    with_secondary = {i for i in range(1, N + 1) if i % 3 == 0}
    claims = seed_practice(db, N, secondary_for=with_secondary)      # 2 lines of 100.00 each
    file_id = store(db, "many.835", file_835([remittance(
        [paid_clp(c, copay=_copay(i)) for i, c in enumerate(claims, start=1)], trace="MANY1")]))
    out = post_stored_remittances(db, actor=ACTOR)
    # coverage on 3, 6, …, 30; 9, 18 and 27 left no patient share, so nothing goes to their secondary
    expected = sorted(with_secondary - {9, 18, 27})
    assert out["claims_posted"] == N and out["secondary_claims"] == len(expected) == 7

    sec_payer, sec_policy = {}, {}
    for pid, payer, policy in db.execute("""SELECT p.patient_id, p.payer_id, p.id FROM pm.insurance_policies p
                                             WHERE p.priority = 'secondary'""").fetchall():
        sec_payer[pid], sec_policy[pid] = payer, policy
    rows = db.execute("""SELECT id, claim_number, responsibility, version, frequency_code, status, total_charge,
                                prior_payer_paid, prior_payer_adjustments, payer_id, policy_id, diagnosis_codes
                           FROM billing.claims WHERE responsibility = 'S' ORDER BY id""").fetchall()
    assert [r[1] for r in rows] == [f"V{i:07d}S1" for i in expected]     # created in the 835's CLP order
    for i, (sid, number, resp, version, freq, status, charge, prior_paid, prior, payer, policy, dx) in zip(
            expected, rows):
        primary = claims[i - 1]
        copay = Decimal(i)
        # each line: charge 100.00, allowed 80.00 (CO-45 20.00); line 1 also carries the copay (PR-3)
        assert (resp, version, freq, status) == ("S", 1, "1", "ready")
        assert charge == Decimal("200.00") and dx == ["J069"]
        assert payer == sec_payer[primary["patient_id"]] and policy == sec_policy[primary["patient_id"]]
        assert prior_paid == Decimal("160.00") - copay
        prior = prior if isinstance(prior, dict) else json.loads(prior)
        assert prior["primary_claim_id"] == primary["id"] and prior["paid"] == f"{Decimal('160.00') - copay:.2f}"
        assert prior["lines"] == {
            "1": {"paid": f"{Decimal('80.00') - copay:.2f}", "procedure_code": "99213", "modifiers": [],
                  "units": "1", "adjustments": [["CO", "45", "20.00"], ["PR", "3", f"{copay:.2f}"]]},
            "2": {"paid": "80.00", "procedure_code": "85025", "modifiers": [], "units": "1",
                  "adjustments": [["CO", "45", "20.00"]]}}
        lines = db.execute("""SELECT line_number, line_control_number, procedure_code, charge, units
                                FROM billing.claim_lines WHERE claim_id = %s ORDER BY line_number""",
                           (sid,)).fetchall()
        assert lines == [(1, f"{number}L1", "99213", Decimal("100.00"), Decimal("1.00")),
                         (2, f"{number}L2", "85025", Decimal("100.00"), Decimal("1.00"))]
        events = db.execute("""SELECT event_type, from_status, to_status, actor, source_file_id, detail, dedupe_key
                                 FROM billing.claim_events WHERE claim_id = %s ORDER BY id""", (sid,)).fetchall()
        assert events == [
            ("created", None, "new", ACTOR, file_id, {"kind": "secondary", "prior_claim_id": primary["id"]},
             f"created:{sid}"),
            ("secondary_ready", "new", "ready", ACTOR, file_id, {"primary_claim_id": primary["id"]},
             f"secondary_ready:{sid}")]
        # the copay waits for the secondary payer: nothing on the patient's ledger yet
        assert db.execute("SELECT count(*) FROM billing.patient_ledger WHERE claim_id IN (%s, %s)",
                          (primary["id"], sid)).fetchone()[0] == 0

    # visits without a secondary claim owe their copay now (9, 18, 27 owe nothing)
    owed = dict(db.execute("""SELECT claim_id, sum(amount) FROM billing.patient_ledger
                               GROUP BY claim_id""").fetchall())
    assert owed == {c["id"]: _copay(i) for i, c in enumerate(claims, start=1)
                    if i not in with_secondary and _copay(i)}

    # the same file again posts nothing: exactly once
    store(db, "many-again.835", file_835([remittance(
        [paid_clp(c, copay=_copay(i)) for i, c in enumerate(claims, start=1)], trace="MANY1")]))
    again = post_stored_remittances(db, actor=ACTOR)
    assert again["remittances_duplicate"] == 1 and again["secondary_claims"] == 0
    assert db.execute("SELECT count(*) FROM billing.claims WHERE responsibility = 'S'").fetchone()[0] == 7
    assert db.execute("""SELECT count(*) FROM billing.claim_lines l JOIN billing.claims c ON c.id = l.claim_id
                          WHERE c.responsibility = 'S'""").fetchone()[0] == 14
