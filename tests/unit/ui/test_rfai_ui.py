"""The Billing UI shows a request for additional information as 'information requested' with
its due date, in the queue and on the item page."""

from __future__ import annotations

import datetime as dt

from include.billing.acknowledgments import apply_pending_responses
from include.billing.rfai import open_information_requests
from include.edi.x277 import build_277
from include.edi.x277ca import ClaimStatus, Status
from tests.unit.posting.factory import seed_practice, store


def test_information_requested_with_its_clock(client, db):
    (claim,) = seed_practice(db, 1)
    store(db, "rfai.277", build_277(
        [ClaimStatus(claim_id=claim["claim_number"], patient_account_number=claim["claim_number"],
                     statuses=[Status("R3", "11506-3")], effective_date=dt.date(2026, 4, 1),
                     total_charge=claim["total"], payer_claim_control_number="PAYER123")],
        sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=611, group_control_number=611,
        created=dt.datetime(2026, 4, 1, 9)))
    apply_pending_responses(db, actor="test")
    open_information_requests(db, actor="test")
    db.commit()
    item_id = db.execute("SELECT id FROM billing.work_queue WHERE source = 'rfai'").fetchone()[0]
    queue = client.get("/billing/queue").text
    assert "information requested" in queue and "2026-05-16" in queue
    page = client.get(f"/billing/items/{item_id}").text
    assert 'id="information-requested"' in page and "due 2026-05-16" in page
    assert "Progress note (LOINC 11506-3)" in page
