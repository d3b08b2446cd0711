"""
### Clearinghouse responses: 999 / 277CA / 277 → claim statuses and work items; 835s stored

Every 15 minutes (`BILLING_RESPONSES_SCHEDULE`) and whenever claims were submitted
(`billing://claims/submitted`):

1. **fetch_files** — every finished file in the clearinghouse's outbound folder
   (`BILLING_SFTP_OUTBOUND`, default `outbound`; connection `clearinghouse_sftp`, host key
   checked) is stored in `billing.edi_files` (bytes, sha256, name, origin) and committed, then
   moved to `BILLING_SFTP_ARCHIVE` (default `archive`). The same bytes twice are stored once.
   271s are left for the eligibility step that waits for them.
2. **apply_acknowledgments** — by content (ST01/GS08): 999 (accepted set → `acknowledged`,
   rejected → `rejected` + `ACK999_REJECTED` with the segment/element explanation), 277CA
   (`accepted` + the payer's claim number, or `rejected` + `ACK277CA_REJECTED`), 277 claim
   status (`pending` …). A late file never moves a claim backwards. Unreadable files are
   quarantined with the reason. 835s stay `stored` for **remittance_posting**.
   **information_requests** — each 277 request for additional information (STC category R, e.g.
   a payer's 277RFAI) becomes an RFAI work item right away: what is asked in words, the payer's
   claim number, the due date (include/billing/rfai.py; denial_management also runs it daily).
3. **send_status_inquiries** — a 276 for claims with neither a 277CA nor an 835 after
   `BILLING_STATUS_INQUIRY_DAYS` (21) days, uploaded to `BILLING_SFTP_INBOUND` (`inbound`).

**emit_remittances_received** records `billing://remittances/received` (remittance_posting runs
on it) only when new 835s were stored (skipped otherwise: a 999 or 277CA gives posting nothing
to do). Param `as_of` (ISO timestamp) sets the clock the
inquiry uses (the demo's simulated time). Tasks return counts only (no PHI).
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import dag, get_current_context, task

from include.assets import CLAIMS_SUBMITTED, REMITTANCES_RECEIVED
from include.dag_support import (
    DEFAULT_ARGS,
    actor,
    as_of_param,
    billing_connection,
    clearinghouse_files,
    emit_task,
    run_clock,
    schedule,
)


@dag(
    dag_id="clearinghouse_responses",
    schedule=schedule("BILLING_RESPONSES_SCHEDULE", "*/15 * * * *", assets=[CLAIMS_SUBMITTED]),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "clearinghouse", "999", "277CA", "277", "276"],
    doc_md=__doc__,
    params={"as_of": as_of_param("'now' for status inquiries")},
)
def clearinghouse_responses():
    @task
    def fetch_files() -> dict:
        from include.billing.inbox import fetch_outbound

        with clearinghouse_files() as remote, billing_connection() as conn:
            return fetch_outbound(conn, remote, remote_dir=os.environ.get("BILLING_SFTP_OUTBOUND", "outbound"),
                                  archive_dir=os.environ.get("BILLING_SFTP_ARCHIVE", "archive")).to_dict()

    @task
    def apply_acknowledgments() -> dict:
        from include.billing.acknowledgments import apply_pending_responses

        with billing_connection() as conn:
            return apply_pending_responses(conn, actor=actor(get_current_context()))

    @task
    def information_requests() -> dict:
        from include.billing.rfai import open_information_requests

        with billing_connection() as conn:
            return {"work_items": open_information_requests(conn, actor=actor(get_current_context()))["opened"]}

    @task
    def send_status_inquiries() -> dict:
        from include.billing.claim_status_inquiry import prepare_status_inquiries, upload_pending_inquiries

        context = get_current_context()
        with billing_connection() as conn:
            prepared = prepare_status_inquiries(conn, now=run_clock(context), actor=actor(context))
        with clearinghouse_files() as remote, billing_connection() as conn:
            sent = upload_pending_inquiries(conn, remote, inbound_dir=os.environ.get("BILLING_SFTP_INBOUND", "inbound"))
        return {"claims": prepared["claims"], "files_sent": sent}

    fetched = fetch_files()
    applied = apply_acknowledgments()
    requested = information_requests()
    fetched >> applied >> requested >> send_status_inquiries()
    emit_task(REMITTANCES_RECEIVED, keys=("remittances",), task_id="emit_remittances_received")(fetched)


dag_clearinghouse_responses = clearinghouse_responses()
