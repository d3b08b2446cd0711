"""Deadlines per payer: appeal windows (first and second level) and timely filing, with the
secondary claim's window running from the primary's 835. Dates are counted by hand:
42 CFR 405.942 (120 days from receipt, receipt = notice + 5), 405.962 (180 days), 29 CFR
2560.503-1(h)(3)(i) (180 days)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from include.billing.acknowledgments import apply_pending_responses
from include.billing.deadlines import default_deadlines, payer_deadlines
from include.billing.denials import route_denials
from include.billing.posting import post_stored_remittances
from include.billing.scrub import scrub_claims_sql
from include.edi.x277ca import ClaimStatus, Status, build_277ca
from tests.unit.posting.factory import denied_clp, file_835, paid_clp, remittance, seed_practice, store

ACTOR = "test:deadlines"
TODAY = dt.date(2026, 3, 21)
NOTICE = dt.date(2026, 3, 20)          # the factory's 835 payment date


def test_medicare_windows():
    m = default_deadlines("MB")
    assert m.first_level_deadline(NOTICE) == dt.date(2026, 7, 23)                  # 20 Mar + 5 + 120
    assert m.second_level_deadline(dt.date(2026, 8, 1)) == dt.date(2027, 2, 2)    # 1 Aug + 5 + 180
    assert m.timely_filing_days == 365


def test_commercial_default_and_payer_override():
    assert default_deadlines("CI").first_level_deadline(NOTICE) == dt.date(2026, 9, 16)   # 20 Mar + 180
    own = payer_deadlines(90, "CI", 60, 30)
    assert (own.timely_filing_days, own.first_level_deadline(NOTICE), own.second_level_deadline(NOTICE)) == \
        (90, dt.date(2026, 5, 19), dt.date(2026, 4, 19))


def _route_co50(db, tmp_path):
    (claim,) = seed_practice(db, 1)
    store(db, "T1.835", file_835([remittance([denied_clp(claim, "CO", "50", "N115")])]))
    post_stored_remittances(db, actor=ACTOR)
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    return db.execute("SELECT due_date, details->'appeal_windows' FROM billing.work_queue "
                      "WHERE claim_id = %s", (claim["id"],)).fetchone()


def test_an_appeal_is_due_by_the_payers_window(db, tmp_path):
    db.execute("INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator) VALUES "
               "('BIG HEALTH', 'BHP01', 'MB')")
    db.commit()
    due, windows = _route_co50(db, tmp_path)
    assert due == dt.date(2026, 7, 23)
    assert (windows["first_level_days"], windows["receipt_presumption_days"], windows["second_level_days"]) == \
        (120, 5, 180)
    assert "405.942" in windows["source"]


def test_a_payers_own_appeal_window_wins(db, tmp_path):
    db.execute("INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator, appeal_first_level_days) "
               "VALUES ('BIG HEALTH', 'BHP01', 'CI', 60)")
    db.commit()
    assert _route_co50(db, tmp_path)[0] == dt.date(2026, 5, 19)


def test_scrub_timely_filing_of_a_secondary_runs_from_the_primary_835(db):
    (claim,) = seed_practice(db, 1, secondary_for={1})
    db.execute("UPDATE pm.payers SET timely_filing_days = 90")
    store(db, "P.835", file_835([remittance([paid_clp(claim, coinsurance=Decimal("20.00"))], trace="P")]))
    post_stored_remittances(db, actor=ACTOR)
    (sec,) = db.execute("SELECT id FROM billing.claims WHERE responsibility = 'S'").fetchone()

    def timely(today):
        return [f.message for f in scrub_claims_sql(db, [sec], today)[sec].findings if f.code == "SCRUB_TIMELY_FILING"]

    # DOS 2 Mar + 90 = 31 May: late from the DOS; 20 Mar (the primary's 835) + 90 = 18 Jun: in time from the 835
    assert timely(dt.date(2026, 6, 10)) == []
    assert timely(dt.date(2026, 6, 18)) == []
    assert timely(dt.date(2026, 6, 19)) == [
        "The payer's timely-filing limit (90 days from the prior payer's 835 payment date) passed on 2026-06-18; "
        "send with proof of timely filing or write off."]
    # the primary itself counts from its date of service
    primary = [f.message for f in scrub_claims_sql(db, [claim["id"]], dt.date(2026, 6, 1))[claim["id"]].findings
               if f.code == "SCRUB_TIMELY_FILING"]
    assert primary == ["The payer's timely-filing limit (90 days from the date of service) passed on 2026-05-31; "
                       "send with proof of timely filing or write off."]


def test_co29_on_a_secondary_counts_from_the_primarys_835(db, tmp_path):
    (claim,) = seed_practice(db, 1, secondary_for={1})
    db.execute("UPDATE pm.payers SET timely_filing_days = 90 WHERE payer_identifier = 'SEC01'")
    db.commit()
    store(db, "P.835", file_835([remittance([paid_clp(claim, coinsurance=Decimal("20.00"))], trace="P")]))
    post_stored_remittances(db, actor=ACTOR)
    sec = db.execute("SELECT id, claim_number, total_charge FROM billing.claims WHERE responsibility = 'S'").fetchone()
    assert sec is not None
    received = dt.date(2026, 6, 10)                      # 100 days after the DOS, 82 after the primary's 835
    store(db, "S.277", build_277ca(
        [ClaimStatus(claim_id=sec[1], statuses=[Status("A2", "20", "PR")], total_charge=sec[2],
                     payer_claim_control_number="SECPCN1", member_id="S1", patient_last_name="DOE")],
        sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=801, group_control_number=801,
        created=dt.datetime.combine(received, dt.time(9)), received=received))
    apply_pending_responses(db, actor=ACTOR)
    sec_claim = {"claim_number": sec[1], "total": sec[2], "id": sec[0],
                 "lines": [{"lcn": r[0], "code": r[1], "charge": r[2]} for r in db.execute(
                     "SELECT line_control_number, procedure_code, charge FROM billing.claim_lines "
                     "WHERE claim_id = %s ORDER BY line_number", (sec[0],))]}
    store(db, "S.835", file_835([remittance([denied_clp(sec_claim, "CO", "29")], trace="S")]))
    post_stored_remittances(db, actor=ACTOR)
    route_denials(db, actor=ACTOR, today=TODAY, appeal_dir=tmp_path, pdf=False)
    details = db.execute("SELECT details FROM billing.work_queue WHERE claim_id = %s AND source = 'denial'",
                         (sec[0],)).fetchone()[0]
    assert details["route"] == "CO-29/filed_in_time"
    proof = details["filing_proof"]
    assert (proof["window_start"], proof["deadline"], proof["limit_days"]) == ("2026-03-20", "2026-06-18", 90)
