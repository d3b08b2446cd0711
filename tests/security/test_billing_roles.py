"""Roles for money in the Billing UI, through Airflow's own app and the simple auth manager's
documented role mapping: a viewer only looks (403 on every action, nothing changes); a user
works the queue but cannot write off; a write-off above the limit needs a second, different
user, and both steps are claim events."""

from __future__ import annotations

import pytest

from tests.unit.ui.conftest import BASE, airflow_app, billing_db_conn, csrf_of, token_for  # noqa: F401
from tests.unit.ui.ledger import build_ledger

SAME = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
# every state-changing route of the Billing UI, with a form that would succeed for an allowed user
ACTIONS = {
    "assign": {"assignee": "me"},
    "correct": {"field": "member_id", "value": "W123456789"},
    "resolve": {"note": "done"},
    "release": {},
    "write-off": {"reason": "timely_filing"},
    "write-off/approve": {},
    "write-off/decline": {"note": "no"},
    "appeal": {},
}


@pytest.fixture
def ledger(db, billing_db_conn):  # noqa: F811
    return build_ledger(db)


@pytest.fixture
def browser(airflow_app):  # noqa: F811
    from fastapi.testclient import TestClient

    with TestClient(airflow_app, base_url=BASE) as c:
        def sign_in(name: str, role: str):
            c.cookies.set("_token", token_for(name, role))
            c.user_name = name
            return c
        c.sign_in = sign_in
        yield c


def _snapshot(db):
    return (db.execute("SELECT count(*) FROM billing.claim_events").fetchone()[0],
            db.execute("SELECT array_agg(status ORDER BY id) FROM billing.claims").fetchone()[0],
            db.execute("SELECT array_agg(state || coalesce(assignee, '') ORDER BY id) FROM billing.work_queue").fetchone()[0],
            db.execute("SELECT array_agg(coalesce(member_id, '') ORDER BY id) FROM pm.insurance_policies").fetchone()[0])


def _post(c, item, action, data):
    """Submit a form with a valid CSRF token for the signed-in user: the page's own when it shows
    the form, otherwise one made the same way (session cookie + user), so that a 403 can only
    come from the permission check."""
    from billing_ui.security import CSRF_COOKIE, csrf_token_for

    page = c.get(f"/billing/items/{item}").text
    if 'name="csrf_token"' in page:
        token = csrf_of(page)
    else:
        class Person:
            def get_name(self):
                return c.user_name
        token = csrf_token_for(Person(), c.cookies.get(CSRF_COOKIE))
    return c.post(f"/billing/items/{item}/{action}", data={"csrf_token": token, **data}, headers=SAME,
                  follow_redirects=False)


def _events(db, claim_id):
    return [(e, a) for e, a in db.execute("SELECT event_type, actor FROM billing.claim_events WHERE claim_id = %s "
                                          "ORDER BY id", (claim_id,))]


def test_a_viewer_gets_403_on_every_action_and_nothing_changes(browser, ledger, db):
    c = browser.sign_in("vic", "viewer")
    before = _snapshot(db)
    page = c.get(f"/billing/items/{ledger.items['denied']}")
    assert page.status_code == 200 and "Write off" not in page.text and "/assign" not in page.text
    for item in ledger.items.values():
        for action, form in ACTIONS.items():
            r = _post(c, item, action, form)
            assert r.status_code == 403, (item, action, r.status_code)
            assert "Your role may not" in r.text, (item, action)          # refused for the role, not the form
    assert _snapshot(db) == before


def test_a_user_works_the_queue_but_cannot_touch_money(browser, ledger, db, monkeypatch):
    monkeypatch.setenv("BILLING_WRITE_OFF_APPROVAL_LIMIT", "100.00")
    c = browser.sign_in("uma", "user")
    item = ledger.items["denied"]
    assert _post(c, item, "assign", {"assignee": "me"}).status_code == 303
    before = _snapshot(db)
    for action in ("write-off", "write-off/approve", "write-off/decline"):
        r = _post(c, item, action, ACTIONS[action])
        assert r.status_code == 403 and "may not write off" in r.text, action
    assert _snapshot(db) == before
    assert "Write off" not in c.get(f"/billing/items/{item}").text


def test_a_large_write_off_needs_a_second_different_user(browser, ledger, db, monkeypatch):
    monkeypatch.setenv("BILLING_WRITE_OFF_APPROVAL_LIMIT", "100.00")      # the claim's balance is 165.00
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    c = browser.sign_in("otto", "op")
    assert _post(c, item, "write-off", {"reason": "timely_filing", "note": "past the window"}).status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "denied"
    assert db.execute("SELECT state FROM billing.work_queue WHERE id = %s", (item,)).fetchone()[0] == "open"
    detail = db.execute("SELECT detail FROM billing.claim_events WHERE claim_id = %s AND event_type = "
                        "'write_off_requested'", (claim,)).fetchone()[0]
    assert detail["amount"] == "165.00" and detail["reason"] == "timely_filing"
    # a second request, and the requester's own approval, are refused
    assert _post(c, item, "write-off", {"reason": "timely_filing"}).status_code == 409
    r = _post(c, item, "write-off/approve", {})
    assert r.status_code == 409 and "different user" in r.text
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "denied"

    c = browser.sign_in("olga", "op")
    assert "otto" in c.get(f"/billing/items/{item}").text          # the approver sees who asked and for what
    assert _post(c, item, "write-off/approve", {}).status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "written_off"
    assert _events(db, claim)[-3:] == [("write_off_requested", "user:otto"), ("write_off_approved", "user:olga"),
                                       ("written_off", "user:olga")]
    approved = db.execute("SELECT detail FROM billing.claim_events WHERE claim_id = %s AND event_type = "
                          "'write_off_approved'", (claim,)).fetchone()[0]
    assert approved["requested_by"] == "user:otto" and approved["amount"] == "165.00"


def test_a_declined_request_changes_no_money_and_can_be_asked_again(browser, ledger, db, monkeypatch):
    monkeypatch.setenv("BILLING_WRITE_OFF_APPROVAL_LIMIT", "100.00")
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    assert _post(browser.sign_in("otto", "op"), item, "write-off", {"reason": "timely_filing"}).status_code == 303
    assert _post(browser.sign_in("alice", "admin"), item, "write-off/decline", {"note": "appeal it"}).status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "denied"
    assert _post(browser.sign_in("alice", "admin"), item, "write-off/approve", {}).status_code == 409
    assert _post(browser.sign_in("otto", "op"), item, "write-off", {"reason": "timely_filing"}).status_code == 303
    assert [e for e, _ in _events(db, claim)][-3:] == ["write_off_requested", "write_off_declined",
                                                      "write_off_requested"]


def test_a_write_off_within_the_limit_needs_one_person(browser, ledger, db, monkeypatch):
    monkeypatch.setenv("BILLING_WRITE_OFF_APPROVAL_LIMIT", "165.00")      # at the limit: no approval
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    assert _post(browser.sign_in("otto", "op"), item, "write-off", {"reason": "timely_filing"}).status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "written_off"
    assert _events(db, claim)[-1] == ("written_off", "user:otto")
