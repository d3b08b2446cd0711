"""The Billing pages in a real browser against `airflow standalone`, as `make airflow` starts it.

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) signs in to Airflow,
opens "Billing" from the navigation, finds the work item of a claim held for a missing
member id, corrects the member id and releases the claim; the next claims_submission run
sends the corrected claim in an 837P to the sandbox clearinghouse's SFTP mailbox.
Screenshots: .run/test-artifacts/ui/.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.support.local_airflow import PASSWORD, run_claims_submission, sign_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".run" / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
NEW_MEMBER_ID = "ZQ7730015"
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]


def _blank_one_member_id(db_url: str) -> int:
    """A data-entry slip in the PM system: one patient's only policy loses its member id."""
    with psycopg.connect(db_url) as conn:
        policy = conn.execute("""
            SELECT ip.id FROM pm.insurance_policies ip
            JOIN pm.visits v ON v.patient_id = ip.patient_id AND v.status = 'completed'
            JOIN pm.payers py ON py.id = ip.payer_id AND NOT py.is_self_pay
            LEFT JOIN pm.synthetic_visit_labels l ON l.visit_id = v.id
            WHERE ip.priority = 'primary' AND ip.member_id IS NOT NULL
              AND v.date_of_service <= current_date AND v.date_of_service >= ip.effective_date
              AND (ip.termination_date IS NULL OR ip.termination_date >= v.date_of_service)
            GROUP BY ip.id HAVING count(*) = 1 AND count(l.visit_id) = 0
            ORDER BY ip.id LIMIT 1""").fetchone()[0]
        conn.execute("UPDATE pm.insurance_policies SET member_id = NULL WHERE id = %s", (policy,))
    return policy


def test_correct_and_release_a_held_claim_in_the_browser(local_airflow):
    from playwright.sync_api import expect, sync_playwright

    port, stack = local_airflow
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = sign_in(port)

    policy = _blank_one_member_id(stack.database_url)
    run_claims_submission(port, token)
    with psycopg.connect(stack.database_url) as conn:
        item_id, claim_id, claim_number = conn.execute("""
            SELECT w.id, c.id, c.claim_number FROM billing.work_queue w JOIN billing.claims c ON c.id = w.claim_id
            WHERE w.reason_code = 'DQ_MEMBER_ID' AND c.policy_id = %s AND w.state = 'open'""",
                                                       (policy,)).fetchone()
        assert conn.execute("SELECT status FROM billing.claims WHERE id = %s", (claim_id,)).fetchone()[0] == "held"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(60_000)
            # not signed in: the plugin refuses and points at Airflow's login
            response = page.goto(f"{base}/billing/")
            assert response.status == 401 and "Sign in to Airflow" in page.content()
            # sign in through Airflow's own login page
            page.goto(f"{base}/")
            page.wait_for_url(re.compile(r".*/auth/login.*"))
            page.get_by_label(re.compile("username", re.I)).fill("admin")
            page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
            page.get_by_role("button", name=re.compile("sign in|log ?in", re.I)).click()
            page.wait_for_url(re.compile(rf"^{re.escape(base)}/(?!auth).*"))

            # the dashboard on its own, once its KPIs are computed (the page reloads itself)
            page.goto(f"{base}/billing/")
            assert page.url == f"{base}/billing/"     # signed in: the cookie reaches the plugin
            expect(page.locator("#kpis")).to_be_visible(timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # "Billing" in Airflow's navigation shows the plugin inside the UI
            page.goto(f"{base}/")
            page.get_by_role("link", name=re.compile("^Billing$")).or_(
                page.get_by_role("button", name=re.compile("^Billing$"))).first.click()
            page.wait_for_url(re.compile(r".*/plugin/billing.*"))
            frame = page.frame_locator("iframe").first
            expect(frame.get_by_text("Revenue cycle")).to_be_visible()
            expect(frame.locator("#kpis")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "airflow_nav_billing.png"))

            # the work queue, filtered to the reason
            page.goto(f"{base}/billing/queue")
            page.select_option("select[name=reason]", "DQ_MEMBER_ID")
            page.get_by_role("button", name="Filter").click()
            expect(page.locator(f'a[href="/billing/items/{item_id}"]')).to_be_visible()
            assert "DQ_MEMBER_ID" in page.url and NEW_MEMBER_ID not in page.url
            page.screenshot(path=str(ARTIFACTS / "work_queue.png"), full_page=True)

            page.locator(f'a[href="/billing/items/{item_id}"]').click()
            expect(page.locator("#member-id")).to_have_text("(missing)")
            page.screenshot(path=str(ARTIFACTS / "work_item.png"), full_page=True)
            page.fill("#member_id", NEW_MEMBER_ID)
            page.locator("#member_id").press("Enter")
            expect(page.get_by_role("status")).to_contain_text("corrected")
            expect(page.locator("#member-id")).to_have_text(NEW_MEMBER_ID)
            page.locator("#release").click()
            expect(page.get_by_role("status")).to_contain_text("released")
            expect(page.locator("#claim-status")).to_have_text("ready")
            # the claim's history links to the claims_submission run that held it
            expect(page.locator('#events a[href^="/dags/claims_submission/runs/"]').first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "work_item_released.png"), full_page=True)
            assert NEW_MEMBER_ID not in page.url
        finally:
            browser.close()

    with psycopg.connect(stack.database_url) as conn:
        events = conn.execute("""SELECT event_type, to_status, actor FROM billing.claim_events
                                 WHERE claim_id = %s AND actor LIKE 'user:%%' ORDER BY id""", (claim_id,)).fetchall()
        # a correction moves no status: the ledger records the claim's status then (held) as from and to
        assert ("corrected", "held", "user:admin") in events and ("released", "ready", "user:admin") in events
        assert conn.execute("SELECT member_id FROM pm.insurance_policies WHERE id = %s",
                            (policy,)).fetchone()[0] == NEW_MEMBER_ID

    # the next claims_submission run sends the corrected claim to the sandbox
    run_claims_submission(port, token)
    with psycopg.connect(stack.database_url) as conn:
        status, content, file_name = conn.execute("""
            SELECT c.status, f.content, f.file_name FROM billing.claims c
            JOIN billing.batch_claims bc ON bc.claim_id = c.id
            JOIN billing.submission_batches b ON b.id = bc.batch_id
            JOIN billing.edi_files f ON f.id = b.edi_file_id
            WHERE c.id = %s ORDER BY b.id DESC LIMIT 1""", (claim_id,)).fetchone()
    assert status not in ("held", "ready"), status
    text = bytes(content).decode()
    assert f"CLM*{claim_number}*" in text and f"*MI*{NEW_MEMBER_ID}~" in text
    on_sandbox = [p for p in Path(stack.clearinghouse_root).rglob("*") if p.is_file() and p.name.startswith(
        Path(file_name).stem)]
    assert on_sandbox, f"{file_name} is not in the sandbox mailbox"
