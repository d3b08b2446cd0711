"""A request for additional information end to end, through the real DAGs (dag.test), a real
OpenSSH SFTP server as the clearinghouse mailbox and the sandbox payer on a simulated clock:

    claims_submission → process(T0) → clearinghouse_responses          (999, 277CA A1)
    → process(T0 + 1 d) → clearinghouse_responses                       (payer's 277CA A2 + claim number)
    → process(T2): the payer pends one claim with a 277 (005010X213) STC R3 + LOINC, REF*1K, DTP*106
    → clearinghouse_responses                                            (claim pending, the RFAI work item)
    → the clerk answers (records packet) → denial_management              (packet uploaded over SFTP)
    → process(T3) reads the packet → process(T3 + 7 d): the 835 pays it
    → clearinghouse_responses → remittance_posting                       (the claim is paid)

The scenario is the default one with denials, rejections, reversals, recoupments and pends off
(so the claim's only detour is the request) and names the claim the payer asks about. Expected
values by hand: the response due date is the request date + the scenario's 45 days; the payer's
review takes the scenario's 7 days; LOINC 11506-3 = Progress note, 34117-2 = History and
physical note (LOINC attachment codes, include/billing/codes/loinc_attachments.csv).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
import yaml

from tests.e2e.test_revenue_cycle import _q, _run, cycle  # noqa: F401  (the revenue cycle's fixture)

pytestmark = [pytest.mark.timeout(900), pytest.mark.e2e]
LOINC = ["11506-3", "34117-2"]


def _scenario(claims: list[str]):
    from include.sandbox.scenario import Scenario

    with open("include/sandbox/scenarios/default.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data.update(denials={}, rejections={}, payer_rejections=0, reversal={"rate": 0}, recoupment={"rate": 0},
                pend={"rate": 0}, rfai={"rate": 0, "claims": claims, "loinc": LOINC, "due_days": 45,
                                        "review_days": 7})
    return Scenario.from_dict(data, "test_rfai scenario")


def _paid_in_835s(root, number: str) -> list[Decimal]:
    from include.edi.x835 import parse_835

    return [c.paid for folder in ("outbound", "archive") for p in sorted((root / folder).glob("835_*"))
            for r in parse_835(p.read_bytes()) for c in r.claims if c.claim_id == number]


@pytest.mark.parametrize("practice", [80], indirect=True, ids=["80_visits"])
def test_request_for_information_answered_then_paid(cycle, practice, tmp_path):  # noqa: F811
    from include.billing.rfai import answer_request
    from include.sandbox.clearinghouse import Clearinghouse
    from include.sandbox.roster import Roster

    db_url, root = cycle["db_url"], cycle["root"]
    roster = Roster.load(practice["roster"])
    t0 = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)

    _run("claims_submission")
    r0 = Clearinghouse(root, _scenario([]), roster).process(now=t0)
    assert r0.claims_received > 0
    _run("clearinghouse_responses", as_of=t0.isoformat())
    # the claim the payer will ask about: a primary claim the clearinghouse forwarded (A1)
    number, claim_id = _q(db_url, "SELECT claim_number, id FROM billing.claims WHERE status = 'acknowledged' "
                                  "AND responsibility = 'P' AND frequency_code = '1' ORDER BY id LIMIT 1")[0]
    ch = Clearinghouse(root, _scenario([number]), roster)

    t1 = t0 + dt.timedelta(days=1)
    ch.process(now=t1)
    _run("clearinghouse_responses", as_of=t1.isoformat())
    status, pccn = _q(db_url, "SELECT status, payer_claim_control_number FROM billing.claims WHERE id = %s",
                      claim_id)[0]
    assert status == "accepted" and pccn                     # the payer's A2 with its claim number

    # --- the payer pends the claim and asks for records instead of paying -------------------
    t2 = t0 + dt.timedelta(days=ch.scenario.adjudication_delay_days)
    r2 = ch.process(now=t2)
    assert r2.information_requests == 1 and r2.remittances > 0
    assert _paid_in_835s(root, number) == []
    (request_file,) = sorted((root / "outbound").glob("277RFAI_*"))
    raw = request_file.read_bytes()
    assert b"*005010X213~" in raw and f"STC*R3:{LOINC[0]}::LOI*{t2:%Y%m%d}~".encode() in raw
    assert f"REF*1K*{pccn}~".encode() in raw and f"REF*EJ*{number}~".encode() in raw
    _run("clearinghouse_responses", as_of=t2.isoformat())       # applies the 277 and opens the work item
    assert _q(db_url, "SELECT status FROM billing.claims WHERE id = %s", claim_id)[0][0] == "pending"

    due = t2.date() + dt.timedelta(days=45)
    item_id, reason, item_due, explanation, details = _q(
        db_url, "SELECT id, reason_code, due_date, explanation, details FROM billing.work_queue "
                "WHERE source = 'rfai' AND claim_id = %s", claim_id)[0]
    assert (reason, item_due) == ("RFAI_R3", due)
    assert [(d["loinc"], d["text"]) for d in details["documents"]] == [
        ("11506-3", "Progress note"), ("34117-2", "History and physical note")]
    assert {s["description"] for s in details["statuses"]} == {
        "Requests for additional information/Claim/Line: status 11506-3",
        "Requests for additional information/Claim/Line: status 34117-2"}
    assert details["payer_claim_number"] == pccn and details["payer_tracking_number"].startswith("RFAI")
    assert f"(claim {pccn}), due {due.isoformat()}" in explanation
    assert "Progress note (LOINC 11506-3); History and physical note (LOINC 34117-2)" in explanation
    _run("remittance_posting")
    _run("denial_management", as_of=t2.isoformat())             # (runs the request step too: no second item)
    assert _q(db_url, "SELECT count(*) FROM billing.work_queue WHERE source = 'rfai'")[0][0] == 1

    # --- the clerk answers: the records packet, recorded as an event, delivered over SFTP ----
    t3 = t2 + dt.timedelta(days=2)
    documents = []
    for name in ("progress-note.txt", "history-and-physical.txt"):
        documents.append(tmp_path / name)
        documents[-1].write_text(f"{name} of the visit\n")
    with psycopg.connect(db_url) as conn:
        packet = answer_request(conn, item_id, documents, actor="user:clerk", out_dir=tmp_path / "records",
                                pdf=False, today=t3.date())
    acn = packet["attachment_control_number"]
    _run("denial_management", as_of=t3.isoformat())
    assert (root / "inbound" / f"ATT_{acn}.zip").exists()
    r3 = ch.process(now=t3)
    assert r3.attachments == 1 and r3.files_failed == 0 and (root / "archive" / f"ATT_{acn}.zip").exists()
    assert _paid_in_835s(root, number) == []
    assert ch.process(now=t3 + dt.timedelta(days=6)).claims_adjudicated == 0     # the payer's review: 7 days

    # --- the payer pays, posting applies it ----------------------------------------------
    t4 = t3 + dt.timedelta(days=7)
    r4 = ch.process(now=t4)
    assert r4.claims_adjudicated == 1
    (paid,) = _paid_in_835s(root, number)
    assert paid > 0
    _run("clearinghouse_responses", as_of=t4.isoformat())
    _run("remittance_posting")
    assert _q(db_url, "SELECT status FROM billing.claims WHERE id = %s", claim_id)[0][0] == "paid"
    assert _q(db_url, "SELECT sum(paid) FROM billing.claim_payments WHERE claim_id = %s", claim_id)[0][0] == paid

    # the claim's history tells the story in order
    events = [e for (e,) in _q(db_url, "SELECT event_type FROM billing.claim_events WHERE claim_id = %s "
                                       "ORDER BY id", claim_id)]
    story = ["ack_277ca", "status_277", "information_requested", "information_sent", "information_uploaded"]
    assert [e for e in events if e in story] == story
    assert _q(db_url, "SELECT to_status FROM billing.claim_events WHERE claim_id = %s ORDER BY id DESC LIMIT 1",
              claim_id)[0][0] == "paid"
    sent = _q(db_url, "SELECT actor, detail FROM billing.claim_events WHERE claim_id = %s "
                      "AND event_type = 'information_sent'", claim_id)[0]
    assert sent[0] == "user:clerk" and sent[1]["attachment_control_number"] == acn and not sent[1]["late"]
