"""
### Patient statements: patient payments in, statements out (PDF, vendor file, e-mail notice)

Daily (`BILLING_STATEMENTS_SCHEDULE`, default 07:00 UTC); the run decides which guarantors are
due (every `BILLING_STATEMENT_CYCLE_DAYS`, default 30). Rules: docs/patient_accounts.md;
lockbox format: docs/lockbox.md.

1. **import_payments** — PM payments (`pm.patient_payments`: front-desk copays …) and lockbox
   CSV files from `lockbox/` under the run folder (`BILLING_LOCKBOX_DIR`) and from the SFTP
   mailbox (`BILLING_LOCKBOX_SFTP_CONN_ID`, default `clearinghouse_sftp`, folder
   `BILLING_LOCKBOX_SFTP_FOLDER`, default `lockbox`): each file stored (sha256) before any row
   is applied; bad rows reported with their line numbers (`LOCKBOX_BAD_ROWS`). Payments post
   exactly once and apply to the named visit or the oldest finished balances; an overpayment
   becomes a credit balance with a `PATIENT_REFUND` item.
2. **statement_run** — guarantor data-quality checks (`DQ_GUARANTOR_*` work items), then one
   statement per guarantor due (balance on finished visits, no hold); first → second → final
   notice, then `PATIENT_COLLECTIONS`.
3. **render_pdfs** — a PDF per statement (headless Chromium), stored with its sha256.
4. **deliver_vendor_file** — the statement-vendor CSV of the day, stored, then uploaded once
   (`.part` then rename, 0600) to the SFTP connection `statement_vendor`
   (folder `BILLING_STATEMENT_VENDOR_FOLDER`, default `statements`).
5. **notify_guarantors** — "your statement is ready" e-mails through `billing_smtp`, only where
   the guarantor has an e-mail; no amounts, no names beyond the salutation, no attachment.

Running twice on one day sends nothing twice. Param `as_of` (ISO timestamp) is the statement
date's clock (the demo's simulated time); `demo_guarantors` lets the demo's guarantors pay
(include.billing.statements.simulate_guarantor_payments). Counts only in XCom (no PHI).
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Param, dag, get_current_context, task

from include.dag_support import (
    BILLING_SMTP_CONN_ID,
    CLEARINGHOUSE_SFTP_CONN_ID,
    DEFAULT_ARGS,
    STATEMENT_VENDOR_SFTP_CONN_ID,
    actor,
    as_of_param,
    billing_connection,
    run_clock,
    schedule,
    sftp_files,
)


@dag(
    dag_id="patient_statements",
    schedule=schedule("BILLING_STATEMENTS_SCHEDULE", "0 7 * * *"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "patients", "statements", "lockbox"],
    doc_md=__doc__,
    params={
        "as_of": as_of_param("today"),
        "demo_guarantors": Param(os.environ.get("BILLING_DEMO_GUARANTORS", "0") == "1", type="boolean",
                                 description="let the demo's guarantors pay their statements first"),
        "demo_seed": Param(17, type="integer", description="seed of the demo guarantors' choices"),
        "lockbox_sftp": Param(os.environ.get("BILLING_LOCKBOX_SFTP", "1") == "1", type="boolean",
                              description="also fetch lockbox files from the SFTP mailbox"),
    },
)
def patient_statements():
    @task
    def import_payments(params=None) -> dict:
        from include.billing.patient_accounts import import_payments as run_import
        from include.billing.settings import work_dir
        from include.billing.statements import simulate_guarantor_payments

        context = get_current_context()
        today = run_clock(context).date()
        folder = os.environ.get("BILLING_LOCKBOX_DIR") or str(work_dir("lockbox"))
        out = {}
        with billing_connection() as conn:
            if params.get("demo_guarantors"):
                out["demo"] = simulate_guarantor_payments(conn, today, seed=params.get("demo_seed") or 17)
            if not params.get("lockbox_sftp"):
                out.update(run_import(conn, actor=actor(context), today=today, lockbox_folder=folder))
                return out
            conn_id = os.environ.get("BILLING_LOCKBOX_SFTP_CONN_ID", CLEARINGHOUSE_SFTP_CONN_ID)
            with sftp_files(conn_id) as remote:
                out.update(run_import(
                    conn, actor=actor(context), today=today, lockbox_folder=folder, remote=remote,
                    remote_folder=os.environ.get("BILLING_LOCKBOX_SFTP_FOLDER", "lockbox"),
                    remote_archive=os.environ.get("BILLING_LOCKBOX_SFTP_ARCHIVE", "lockbox/archive")))
        return out

    @task
    def statement_run() -> dict:
        from include.billing.patient_accounts import check_guarantors
        from include.billing.statements import run_statements

        context = get_current_context()
        today = run_clock(context).date()
        with billing_connection() as conn:
            findings = check_guarantors(conn, today=today)
            conn.commit()
            return {**run_statements(conn, today, actor=actor(context)), "guarantor_findings": findings}

    @task
    def render_pdfs() -> dict:
        from include.billing.statements import render_statement_pdfs

        with billing_connection() as conn:
            return render_statement_pdfs(conn)

    @task
    def deliver_vendor_file() -> dict:
        from include.billing.statements import build_vendor_file, deliver_vendor_files, vendor_files_waiting

        context = get_current_context()
        with billing_connection() as conn:
            built = build_vendor_file(conn, run_clock(context).date())
            if not vendor_files_waiting(conn):
                return {"built": built is not None, "uploaded": 0, "already_delivered": 0}
            with sftp_files(STATEMENT_VENDOR_SFTP_CONN_ID) as remote:
                return {"built": built is not None, **deliver_vendor_files(conn, remote)}

    @task
    def notify_guarantors() -> dict:
        from include.billing.statements import notices_waiting, send_statement_notices

        with billing_connection() as conn:
            if not notices_waiting(conn):
                return {"sent": 0}
            from airflow.providers.smtp.hooks.smtp import SmtpHook

            from include.billing.reports.mailer import smtp_client

            connection = SmtpHook.get_connection(BILLING_SMTP_CONN_ID)
            sender = connection.extra_dejson.get("from_email") or os.environ.get("BILLING_STATEMENT_SENDER",
                                                                                 "billing@localhost")
            with smtp_client(connection) as client:
                return send_statement_notices(conn, client, sender=sender)

    import_payments() >> statement_run() >> render_pdfs() >> deliver_vendor_file() >> notify_guarantors()


dag_patient_statements = patient_statements()
