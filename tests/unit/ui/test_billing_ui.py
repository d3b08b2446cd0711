"""The Billing pages through Airflow's own app: sign-in, pages, actions, CSRF, no PHI in URLs."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import date

import pytest

from tests.unit.ui.conftest import BASE, csrf_of, token_for
from tests.unit.ui.ledger import build_ledger

PAGES = ["/billing/", "/billing/?period=today", "/billing/queue", "/billing/items/{item}"]
ACTIONS = ["assign", "correct", "resolve", "release", "write-off", "appeal"]


@pytest.fixture
def ledger(db, billing_db_conn):
    return build_ledger(db)


def _events(db, claim_id):
    return db.execute("""SELECT event_type, from_status, to_status, actor, detail FROM billing.claim_events
                         WHERE claim_id = %s ORDER BY id""", (claim_id,)).fetchall()


def _snapshot(db):
    return (db.execute("SELECT count(*) FROM billing.claim_events").fetchone()[0],
            db.execute("SELECT array_agg(status ORDER BY id) FROM billing.claims").fetchone()[0],
            db.execute("SELECT array_agg(state || coalesce(assignee, '') ORDER BY id) FROM billing.work_queue").fetchone()[0],
            db.execute("SELECT array_agg(coalesce(member_id, '') ORDER BY id) FROM pm.insurance_policies").fetchone()[0])


def _post(client, path, data, *, page=None):
    """Submit a form the way the browser does: the token from the page, same-origin headers."""
    html = client.get(page or path.rsplit("/", 1)[0]).text
    return client.post(path, data={"csrf_token": csrf_of(html), **data}, follow_redirects=False,
                       headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})


# --- the plugin -----------------------------------------------------------------------------

def test_plugin_registers_app_and_navigation(airflow_app):
    from airflow import plugins_manager

    plugins, errors = plugins_manager._get_plugins()
    assert not errors, errors                      # billing_ui/ itself is not scanned (.airflowignore)
    assert [p.name for p in plugins].count("billing_ui") == 1
    apps, _ = plugins_manager.get_fastapi_plugins()
    assert [a["url_prefix"] for a in apps if a["name"] == "Billing work queue"] == ["/billing"]
    views, _ = plugins_manager._get_ui_plugins()
    billing = [v for v in views if v["name"] == "Billing"]
    assert billing and billing[0]["href"] == "/billing/" and billing[0]["destination"] == "nav"


# --- authentication ---------------------------------------------------------------------------

def test_every_page_and_action_refuses_requests_without_a_token(anon, ledger, db):
    before = _snapshot(db)
    item = ledger.items["dq"]
    for path in PAGES:
        r = anon.get(path.format(item=item))
        assert r.status_code == 401, path
        assert "/auth/login" in r.text            # a person is told where to sign in
    for action in ACTIONS:
        r = anon.post(f"/billing/items/{item}/{action}", data={"field": "member_id", "value": "X1234"})
        assert r.status_code == 401, action
    assert _snapshot(db) == before


def test_a_forged_or_expired_token_is_refused(anon, ledger, db):
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    anon.cookies.set("_token", "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJtYWxsb3J5In0.bogus")
    assert anon.get("/billing/queue").status_code == 403
    expired = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="alice", role="admin"),
                                              expiration_time_in_seconds=-60)
    anon.cookies.set("_token", expired)
    assert anon.get("/billing/queue").status_code in (401, 403)


def test_a_bearer_token_works_like_the_cookie(anon, ledger):
    r = anon.get("/billing/queue", headers={"Authorization": f"Bearer {token_for('alice')}"})
    assert r.status_code == 200 and "signed in as alice" in r.text


# --- pages ------------------------------------------------------------------------------------

def test_dashboard_shows_the_report_kpis_and_links_to_dag_runs(client, ledger, db):
    from include.billing.reports.metrics import compute_kpis

    r = client.get("/billing/")
    assert r.status_code == 200
    # the first view does not wait for the report queries: it reloads itself until they are in
    assert 'id="kpis-pending"' in r.text and 'http-equiv="refresh"' in r.text
    assert "Today&#39;s activity" in r.text or "Today's activity" in r.text
    for _ in range(100):
        r = client.get("/billing/")
        if 'id="kpis"' in r.text:
            break
        time.sleep(0.2)
    assert 'http-equiv="refresh"' not in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    today = date.today()
    from datetime import timedelta

    kpis = compute_kpis(db, today - timedelta(days=6), today, today, trend_weeks=0)
    assert f"${kpis['total_ar']:,.2f}" in r.text                  # one source of truth with the report
    assert 'id="aging"' in r.text and "All payers" in r.text
    assert 'href="/dags/claims_submission/runs/manual__2026-11-27T09%3A00%3A00%2B00%3A00"' in r.text
    for period in ("today", "month", "mtd", "nonsense"):
        assert client.get(f"/billing/?period={period}").status_code == 200


def test_queue_lists_open_items_by_due_date_and_filters(client, ledger):
    def ids(**params):
        r = client.get("/billing/queue", params=params)
        assert r.status_code == 200
        import re

        return [int(i) for i in re.findall(r'href="/billing/items/(\d+)"', r.text)]

    it = ledger.items
    assert ids() == [it["rej277"], it["dq"], it["scrub"], it["denied"], it["paid"]]   # due date order
    assert ids(reason="SCRUB_DX_POINTER") == [it["scrub"]]
    assert ids(source="denial") == [it["denied"], it["paid"]]
    assert ids(payer=ledger.other_payer_id) == [it["rej277"], it["paid"]]
    assert ids(provider=ledger.provider_id) == ids()
    assert ids(provider=ledger.provider_id + 999) == []
    assert ids(min_age=2) == ids() and ids(min_age=5) == [] and ids(max_age=1) == []
    assert ids(assignee="-") == ids() and ids(assignee="alice") == []
    assert client.get("/billing/queue", params={"payer": "abc"}).status_code == 400


def test_item_page_explains_the_problem_and_shows_only_the_claims_segments(client, ledger):
    r = client.get(f"/billing/items/{ledger.items['denied']}")
    assert r.status_code == 200
    page = r.text
    assert "CO-16" in page and "M76" in page                    # CARC and RARC, in words
    assert "V0000004P1L1" in page and "99213" in page            # the lines
    excerpt = page.split('id="excerpt">')[1].split("</pre>")[0]
    assert excerpt.startswith("CLP*V0000004P1*4") and "CAS*CO*16*120" in excerpt and "LQ*HE*M76" in excerpt
    assert "V0000005P1" not in excerpt and "BPR" not in excerpt  # not the other claim, not the envelope
    # the visit's account: denied (CLP02=4, CO-16 165.00 of 165.00), so nothing is settled and nothing of a
    # CO denial reaches the patient; the whole charge waits for the corrected claim
    account = page.split('id="account">')[1].split("</dl>")[0]
    assert "<dt>Charge</dt><dd>165.00</dd>" in account and "<dt>Patient responsibility</dt><dd>0.00</dd>" in account
    assert 'id="pending-insurance">165.00<' in account and "insurance pending" in page

    excerpt = client.get(f"/billing/items/{ledger.items['rej277']}").text.split('id="excerpt">')[1].split("</pre>")[0]
    assert "TRN*2*V0000003P1" in excerpt and "STC*A7:562:85" in excerpt and "V0000009P1" not in excerpt

    assert client.get("/billing/items/999999").status_code == 404


# --- actions ----------------------------------------------------------------------------------

def test_correcting_the_member_id_and_releasing_the_claim(client, ledger, db, caplog):
    item, claim = ledger.items["dq"], ledger.claims["dq"]
    caplog.set_level(logging.INFO)
    r = _post(client, f"/billing/items/{item}/correct", {"field": "member_id", "value": "ACM900001"})
    assert r.status_code == 303 and r.headers["location"] == f"/billing/items/{item}?done=corrected"
    assert db.execute("SELECT member_id FROM pm.insurance_policies WHERE id = %s",
                      (ledger.policy_ids["dq"],)).fetchone()[0] == "ACM900001"
    ev = _events(db, claim)[-1]
    assert ev[0] == "corrected" and ev[3] == "user:alice" and ev[4]["field"] == "member_id"
    assert "ACM900001" not in str(ev[4])                        # PHI stays in its row, not in the history

    r = _post(client, f"/billing/items/{item}/release", {})
    assert r.status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "ready"
    released = [e for e in _events(db, claim) if e[0] == "released"]
    assert released and released[0][1:4] == ("held", "ready", "user:alice")
    assert db.execute("SELECT state, resolved_by FROM billing.work_queue WHERE id = %s",
                      (item,)).fetchone() == ("resolved", "user:alice")
    assert "ACM900001" not in caplog.text                         # nor in the logs
    assert "Done: released" in client.get(r.headers["location"]).text


def test_line_and_diagnosis_corrections_change_the_claim_snapshot(client, ledger, db):
    item, claim = ledger.items["scrub"], ledger.claims["scrub"]
    page = f"/billing/items/{item}"
    assert _post(client, f"{page}/correct", {"field": "dx_pointers", "line_number": "2", "value": "2, 1"},
                 page=page).status_code == 303
    assert _post(client, f"{page}/correct", {"field": "diagnosis", "position": "1", "value": "e11.9"},
                 page=page).status_code == 303
    assert _post(client, f"{page}/correct", {"field": "modifiers", "line_number": "1", "value": "25"},
                 page=page).status_code == 303
    assert _post(client, f"{page}/correct", {"field": "prior_authorization", "value": "AUTH-77"},
                 page=page).status_code == 303
    line2 = db.execute("SELECT dx_pointers FROM billing.claim_lines WHERE claim_id = %s AND line_number = 2",
                       (claim,)).fetchone()[0]
    assert line2 == [2, 1]
    assert db.execute("SELECT diagnosis_codes FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == ["E119", "I10"]
    assert db.execute("SELECT modifiers FROM billing.claim_lines WHERE claim_id = %s AND line_number = 1",
                      (claim,)).fetchone()[0] == ["25"]
    assert db.execute("SELECT v.prior_authorization FROM pm.visits v JOIN billing.claims c ON c.visit_id = v.id "
                      "WHERE c.id = %s", (claim,)).fetchone()[0] == "AUTH-77"
    corrected = [e for e in _events(db, claim) if e[0] == "corrected"]
    assert [e[4]["field"] for e in corrected] == ["dx_pointers", "diagnosis", "modifiers", "prior_authorization"]
    assert corrected[0][4]["before"] == [3] and corrected[0][4]["after"] == [2, 1]
    assert all(e[3] == "user:alice" for e in corrected)
    # the first correction took the item: it is in progress with alice
    assert db.execute("SELECT state, assignee FROM billing.work_queue WHERE id = %s", (item,)).fetchone() == (
        "in_progress", "alice")


@pytest.mark.parametrize("data, message", [
    ({"field": "dx_pointers", "line_number": "2", "value": "1,7"}, "between 1 and 2"),
    ({"field": "diagnosis", "position": "1", "value": "NOT-ICD"}, "ICD-10-CM"),
    ({"field": "modifiers", "line_number": "9", "value": "25"}, "no line 9"),
    ({"field": "member_id", "value": "x"}, "member id is"),
    ({"field": "birth_date", "value": "1999-01-01"}, "cannot correct"),
])
def test_a_bad_correction_is_refused_and_changes_nothing(client, ledger, db, data, message):
    before = _snapshot(db)
    lines = db.execute("SELECT array_agg(dx_pointers::text || modifiers::text) FROM billing.claim_lines").fetchone()
    r = _post(client, f"/billing/items/{ledger.items['scrub']}/correct", data)
    assert r.status_code == 409 and message in r.text
    assert _snapshot(db) == before
    assert db.execute("SELECT array_agg(dx_pointers::text || modifiers::text) FROM billing.claim_lines").fetchone() == lines


def test_release_of_a_claim_the_payer_has_creates_a_frequency_7_replacement(client, ledger, db):
    item, claim = ledger.items["paid"], ledger.claims["paid"]
    assert _post(client, f"/billing/items/{item}/correct",
                 {"field": "modifiers", "line_number": "1", "value": "25"}).status_code == 303
    assert _post(client, f"/billing/items/{item}/release", {}).status_code == 303
    new = db.execute("""SELECT id, claim_number, version, frequency_code, replaces_claim_id, payer_claim_control_number,
                               status FROM billing.claims WHERE replaces_claim_id = %s""", (claim,)).fetchone()
    assert new[1:] == ("V0000005P2", 2, "7", claim, "PCN0005", "ready")
    lines = db.execute("SELECT line_control_number, modifiers FROM billing.claim_lines WHERE claim_id = %s "
                       "ORDER BY line_number", (new[0],)).fetchall()
    assert lines == [("V0000005P2L1", ["25"]), ("V0000005P2L2", [])]   # the corrected snapshot, new line ids
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "replaced"
    assert [e[3] for e in _events(db, new[0])] == ["user:alice", "user:alice"]
    # releasing again is refused: the item is resolved (the form token is per session, any page has it)
    r = _post(client, f"/billing/items/{item}/release", {}, page=f"/billing/items/{ledger.items['dq']}")
    assert r.status_code == 409 and "already resolved" in r.text


def test_release_is_refused_while_the_claim_has_other_open_items(client, ledger, db):
    db.execute("""INSERT INTO billing.work_queue (claim_id, source, reason_code, explanation, dedupe_key)
                  VALUES (%s, 'scrubbing', 'SCRUB_NPI', 'bad NPI', 'x')""", (ledger.claims["dq"],))
    db.commit()
    r = _post(client, f"/billing/items/{ledger.items['dq']}/release", {})
    assert r.status_code == 409 and "SCRUB_NPI" in r.text
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (ledger.claims["dq"],)).fetchone()[0] == "held"


def test_assign_and_resolve(client, ledger, db):
    item, claim = ledger.items["rej277"], ledger.claims["rej277"]
    assert _post(client, f"/billing/items/{item}/assign", {"assignee": "me"}).status_code == 303
    assert db.execute("SELECT assignee, state FROM billing.work_queue WHERE id = %s", (item,)).fetchone() == (
        "alice", "in_progress")
    assert _post(client, f"/billing/items/{item}/assign", {"assignee": "bob"}).status_code == 303
    assert _post(client, f"/billing/items/{item}/assign", {"assignee": "<script>"}).status_code == 409
    assert _post(client, f"/billing/items/{item}/resolve", {"note": "payer fixed on their side"}).status_code == 303
    row = db.execute("SELECT state, assignee, resolved_by FROM billing.work_queue WHERE id = %s", (item,)).fetchone()
    assert row == ("resolved", "bob", "user:alice")
    types = [(e[0], e[3]) for e in _events(db, claim)][-3:]
    assert types == [("work_item_assigned", "user:alice")] * 2 + [("work_item_resolved", "user:alice")]
    assert client.get("/billing/queue", params={"state": "closed"}).text.count(f'/billing/items/{item}"') == 1


def test_write_off_closes_the_claim_and_its_items(client, ledger, db):
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    r = _post(client, f"/billing/items/{item}/write-off", {"reason": "administrative", "note": ""})
    assert r.status_code == 409 and "needs a note" in r.text
    assert _post(client, f"/billing/items/{item}/write-off", {"reason": "timely_filing"}).status_code == 303
    assert db.execute("SELECT status FROM billing.claims WHERE id = %s", (claim,)).fetchone()[0] == "written_off"
    assert db.execute("SELECT state, resolved_by FROM billing.work_queue WHERE id = %s", (item,)).fetchone() == (
        "written_off", "user:alice")
    ev = _events(db, claim)[-1]
    assert ev[0:4] == ("written_off", "denied", "written_off", "user:alice") and ev[4]["reason"] == "timely_filing"


def test_appeal_packet(client, ledger, db):
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    r = _post(client, f"/billing/items/{item}/appeal", {})
    assert r.status_code == 200
    assert "Request for reconsideration" in r.text and "V0000004P1" in r.text and "PCN0004" in r.text
    assert "CO-16" in r.text and "M76" in r.text and "M545" in r.text
    ev = _events(db, claim)[-1]
    assert ev[0] == "appeal_packet" and ev[3] == "user:alice" and "CO-16" in ev[4]["codes"]


# --- cross-site request forgery -----------------------------------------------------------------

def test_posts_without_a_valid_csrf_token_are_refused(client, ledger, db):
    item = ledger.items["dq"]
    url = f"/billing/items/{item}/correct"
    form = {"field": "member_id", "value": "EVIL0001"}
    good = csrf_of(client.get(f"/billing/items/{item}").text)
    same = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
    before = _snapshot(db)

    assert client.post(url, data=form, headers=same).status_code == 403                       # no token
    assert client.post(url, data={**form, "csrf_token": "0" * 64}, headers=same).status_code == 403  # wrong
    assert client.post(url, data={**form, "csrf_token": good},                              # a cross-site form
                       headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(url, data={**form, "csrf_token": good},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(url, data={**form, "csrf_token": good},
                       headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    # another user's token (same session cookie) does not pass for alice
    session = client.cookies.get("billing_csrf")
    client.cookies.set("_token", token_for("vic", "user"))      # a role that is shown the forms
    vic_token = csrf_of(client.get(f"/billing/items/{item}").text)
    client.cookies.set("_token", token_for("alice"))
    assert client.cookies.get("billing_csrf") == session
    assert client.post(url, data={**form, "csrf_token": vic_token}, headers=same).status_code == 403
    # a lost session cookie invalidates the form
    client.cookies.delete("billing_csrf")
    assert client.post(url, data={**form, "csrf_token": good}, headers=same).status_code == 403
    assert _snapshot(db) == before


def test_csrf_cookie_is_strict_httponly_and_scoped_to_the_plugin(anon, ledger):
    r = anon.get("/billing/queue", headers={"Authorization": f"Bearer {token_for('alice')}"})
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("billing_csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/billing/" in cookie


def test_urls_carry_ids_only(client, ledger):
    import re

    for path in ("/billing/", "/billing/queue", f"/billing/items/{ledger.items['denied']}"):
        html = client.get(path).text
        for url in re.findall(r'(?:href|action)="([^"]*)"', html):
            assert "ACM" not in url and "BLU" not in url and "Testperson" not in url, url


def test_appeal_packet_of_a_routed_denial_is_the_denials_letter(client, ledger, db, tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_APPEAL_DIR", str(tmp_path / "appeals"))
    monkeypatch.setenv("BILLING_APPEAL_PDF", "0")
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    cp = db.execute("SELECT id FROM billing.claim_payments WHERE claim_id = %s", (claim,)).fetchone()[0]
    details = {"codes": [{"code": "CO-16", "rarcs": ["M76"], "amount": "165.00"}], "denied_amount": "165.00",
               "category": "missing information", "claim_payment_id": cp}
    db.execute("UPDATE billing.work_queue SET details = %s WHERE id = %s", (json.dumps(details), item))
    db.commit()
    page = client.get(f"/billing/items/{item}").text     # the routed codes, in words
    assert "CO-16" in page and "M76" in page and "claim payment id" in page and "rarcs" not in page
    r = _post(client, f"/billing/items/{item}/appeal", {})
    assert r.status_code == 200
    assert "<title>Appeal - claim V0000004P1</title>" in r.text          # include/templates/appeal_letter.html.j2
    files = sorted(p.name for p in (tmp_path / "appeals").iterdir())
    assert files == [f"appeal-claim{claim}-item{item}.html"]
    assert oct((tmp_path / "appeals" / files[0]).stat().st_mode & 0o777) == "0o600"
    ev = _events(db, claim)[-1]
    assert ev[0] == "appeal_packet" and ev[3] == "user:alice" and ev[4]["files"] == files


def test_a_letter_a_worker_stored_is_read_from_the_store_not_a_disk(client, ledger, db, tmp_path, monkeypatch):
    """denial_management ran on another worker: its disk is gone, the store has the letter."""
    from include.billing.appeals import build_appeal_packet
    from include.billing.runs import RunRef, bind_run

    worker_disk = tmp_path / "worker-1" / "appeals"
    item, claim = ledger.items["denied"], ledger.claims["denied"]
    cp = db.execute("SELECT id FROM billing.claim_payments WHERE claim_id = %s", (claim,)).fetchone()[0]
    details = {"codes": [{"code": "CO-16", "rarcs": ["M76"], "amount": "165.00"}], "denied_amount": "165.00",
               "category": "missing information", "claim_payment_id": cp}
    db.execute("UPDATE billing.work_queue SET details = %s WHERE id = %s", (json.dumps(details), item))
    bind_run(db, RunRef("denial_management", "route_denials", "scheduled__2026-12-01T06:00:00+00:00", 2))
    built = build_appeal_packet(db, item, out_dir=worker_disk, pdf=False)
    db.commit()
    bind_run(db, None)
    for path in worker_disk.iterdir():
        path.unlink()                                       # the worker's disk is not the API server's

    page = client.get(f"/billing/items/{item}").text
    (name, artefact_id), = built["artefacts"].items()
    assert f'href="/billing/artefacts/{artefact_id}"' in page and name in page
    assert ('href="/dags/denial_management/runs/scheduled__2026-12-01T06%3A00%3A00%2B00%3A00/tasks/route_denials'
            '?try_number=2"') in page
    r = client.get(f"/billing/artefacts/{artefact_id}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert "<title>Appeal - claim V0000004P1</title>" in r.text
    assert client.get("/billing/artefacts/999999999").status_code == 404


def test_reports_page_lists_archived_reports_from_the_store(client, ledger, db):
    from include.billing import artefacts

    chart = artefacts.store(db, kind="report_chart", name="ar_aging.png", content=b"\x89PNG fake",
                            natural_key="report/t/ar_aging.png")
    index = artefacts.store(db, kind="report_archive", name="report-daily-2026-11-30.json",
                            content=json.dumps({"as_of": "2026-11-30", "period": "daily", "run_id": "scheduled__x",
                                                "artefacts": {"ar_aging.png": chart}}).encode(),
                            natural_key="report-archive/daily/2026-11-30")
    db.commit()
    page = client.get("/billing/reports").text
    assert "report-daily-2026-11-30.json" in page and f'href="/billing/artefacts/{chart}"' in page
    assert client.get(f"/billing/artefacts/{chart}").content == b"\x89PNG fake"
    assert index != chart


def test_events_link_to_their_exact_task_try_and_never_guess_by_time(client, ledger, db, airflow_app):
    from datetime import timedelta

    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    at = db.execute("""SELECT occurred_at FROM billing.claim_events WHERE claim_id = %s AND event_type = 'created'""",
                    (ledger.claims["dq"],)).fetchone()[0]
    with create_session() as session:       # a run of the same DAG that was running at the event's time
        session.add(DagRun(dag_id="claims_submission", run_id="scheduled__ui_link_test", run_type="scheduled",
                           start_date=at - timedelta(minutes=1), state="success"))
        session.flush()
        session.query(DagRun).filter(DagRun.run_id == "scheduled__ui_link_test").update(
            {"end_date": at + timedelta(minutes=1)})
    try:
        page = client.get(f"/billing/items/{ledger.items['dq']}").text
        # the event's own run columns: the task's log at its try, and the run
        assert ('href="/dags/claims_submission/runs/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/tasks/build_claims'
                '?try_number=1"') in page
        assert 'href="/dags/claims_submission/runs/manual__2026-11-27T09%3A00%3A00%2B00%3A00/tasks/scrub?try_number=2"' in page
        assert page.count('href="/dags/claims_submission/runs/') == 4
        # an event without run columns (written before migration 0016) links to the DAG only
        db.execute("""INSERT INTO billing.claim_events (claim_id, event_type, actor, occurred_at)
                      VALUES (%s, 'note', 'dag:claims_submission.scrub', %s)""",
                   (ledger.claims["dq"], at + timedelta(seconds=5)))
        db.commit()
        page = client.get(f"/billing/items/{ledger.items['dq']}").text
        assert "scheduled__ui_link_test" not in page
        assert page.count('href="/dags/claims_submission/runs/') == 4
        assert 'href="/dags/claims_submission"' in page
    finally:
        with create_session() as session:
            session.query(DagRun).filter(DagRun.run_id == "scheduled__ui_link_test").delete()


def test_a_mapped_task_links_to_its_map_index(client, ledger, db):
    db.execute("""INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor,
                                                    dag_id, task_id, run_id, try_number, map_index)
                  VALUES (%s, 'submitted', 'ready', 'submitted', 'dag:claims_submission.send_batch',
                          'claims_submission', 'send_batch', 'manual__x', 3, 4)""", (ledger.claims["dq"],))
    db.commit()
    page = client.get(f"/billing/items/{ledger.items['dq']}").text
    assert 'href="/dags/claims_submission/runs/manual__x/tasks/send_batch/mapped/4?try_number=3"' in page


def test_a_999_rejection_shows_the_answer_for_the_claims_transaction_set(client, ledger, db):
    from hashlib import sha256

    from tests.unit.ui.ledger import isa

    content = isa("FA", "999", ["AK1*HC*101*005010X222A1", "AK2*837*0007", "IK5*A", "AK2*837*0001",
                                "IK3*NM1*12*2010BA*8", "IK4*9*67*7*BADID", "IK5*R*5", "AK9*R*2*2*1"])
    file_id = db.execute("""INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes,
                                content, origin) VALUES ('in', '999', 't.999', %s, %s, %s, 'test') RETURNING id""",
                         (sha256(content).hexdigest(), len(content), content)).fetchone()[0]
    item = db.execute("""INSERT INTO billing.work_queue (claim_id, edi_file_id, source, reason_code, explanation,
                             dedupe_key) VALUES (%s, %s, '999', 'ACK999_REJECTED', 'rejected', 'k999') RETURNING id""",
                      (ledger.claims["rej277"], file_id)).fetchone()[0]
    db.commit()
    page = client.get(f"/billing/items/{item}").text
    excerpt = page.split('id="excerpt">')[1].split("</pre>")[0]
    assert excerpt.splitlines() == ["AK2*837*0001~", "IK3*NM1*12*2010BA*8~", "IK4*9*67*7*BADID~", "IK5*R*5~"]
    assert "The clearinghouse rejected the 837 transaction set" in page


def test_guarantor_account_and_a_statement_hold(client, ledger, db):
    """The denied claim's patient is their own guarantor (no guarantor recorded: 'P' + patient id). The
    claim is denied with CO-16 and under correction, so the visit is insurance pending: balance due $0.00.
    A hold needs a reason, is recorded as an event with the user, stops statements, and can be released."""
    item_page = client.get(f"/billing/items/{ledger.items['denied']}").text
    href = re.search(r'id="guarantor-link" href="([^"]+)"', item_page)[1]
    key = href.rsplit("/", 1)[1]
    pid = db.execute("SELECT v.patient_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id "
                     "WHERE c.id = %s", (ledger.claims["denied"],)).fetchone()[0]
    assert key == f"P{pid:08d}"
    page = client.get(f"/billing/guarantors/{key}").text
    assert 'id="balance-due">$0.00<' in page and "insurance pending" in page and "V0000004" in page
    path = f"/billing/guarantors/{key}/hold"
    assert _post(client, path, {"reason": " "}, page=f"/billing/guarantors/{key}").status_code == 409
    r = _post(client, path, {"reason": "billing dispute"}, page=f"/billing/guarantors/{key}")
    assert r.status_code == 303
    page = client.get(f"/billing/guarantors/{key}").text
    assert "statements on hold: billing dispute" in page and "statement hold placed (user:alice)" in page
    assert _post(client, path, {"reason": "again"}, page=f"/billing/guarantors/{key}").status_code == 409
    r = _post(client, f"/billing/guarantors/{key}/release-hold", {}, page=f"/billing/guarantors/{key}")
    assert r.status_code == 303 and "statements on hold" not in client.get(f"/billing/guarantors/{key}").text
    assert client.get("/billing/guarantors/P99999999").status_code == 404


def test_a_viewer_cannot_hold_a_guarantors_statements(anon, ledger, db):
    anon.cookies.set("_token", token_for("vic", "viewer"))
    key = re.search(r'id="guarantor-link" href="[^"]+/guarantors/([^"]+)"',
                    anon.get(f"/billing/items/{ledger.items['denied']}").text)[1]
    page = anon.get(f"/billing/guarantors/{key}")
    assert page.status_code == 200 and "Hold statements" not in page.text
    from plugins.billing_ui.security import CSRF_COOKIE, csrf_token_for

    class Vic:                       # a valid token for this user and session: refused for the role alone
        def get_name(self):
            return "vic"
    token = csrf_token_for(Vic(), anon.cookies.get(CSRF_COOKIE))
    r = anon.post(f"/billing/guarantors/{key}/hold", data={"csrf_token": token, "reason": "x"},
                  headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert r.status_code == 403
    assert db.execute("SELECT count(*) FROM billing.statement_holds").fetchone()[0] == 0


def test_releasing_a_claim_records_the_corrections_released_asset_event(client, ledger, db):
    """claims_submission is scheduled on billing://corrections/released: the release records it."""
    from airflow.models.asset import AssetActive, AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from include.assets import CORRECTIONS_RELEASED

    uri = CORRECTIONS_RELEASED.uri
    with create_session() as session:      # what the dag-processor writes when it parses claims_submission
        if session.scalar(select(AssetModel).where(AssetModel.uri == uri)) is None:
            session.add(AssetModel(uri=uri, name=uri, group="asset"))
            session.add(AssetActive(name=uri, uri=uri))
    with create_session() as session:
        before = len(session.scalars(select(AssetEvent).join(AssetModel, AssetModel.id == AssetEvent.asset_id).where(AssetModel.uri == uri)).all())

    item = ledger.items["dq"]
    assert _post(client, f"/billing/items/{item}/correct", {"field": "member_id", "value": "ACM900001"}).status_code == 303
    assert _post(client, f"/billing/items/{item}/release", {}).status_code == 303

    with create_session() as session:
        events = session.scalars(select(AssetEvent).join(AssetModel, AssetModel.id == AssetEvent.asset_id).where(AssetModel.uri == uri)
                                 .order_by(AssetEvent.id)).all()
        assert len(events) == before + 1
        assert events[-1].extra == {"work_item_id": item, "released_by": "alice"}
