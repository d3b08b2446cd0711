"""
### Denial management: routing table → correct & replace · new claim · appeal · write off · patient · follow up

Runs when remittances were posted (`billing://remittances/posted`) and daily
(`BILLING_DENIALS_SCHEDULE`, default 06:00 UTC).

1. **route_denials** — each denied adjudication (claim or line) is routed by the routing table
   (`include/billing/codes/denial_routes.csv`, see docs/denials.md): a correction or new-claim
   item (`CARC_<group>-<code>`; COB denials also a coverage-order item), an appeal packet (HTML
   letter + PDF, files 0600 under `BILLING_APPEAL_DIR`, deadline as the due date; CO-29 received
   in time carries the 999/277CA proof), a write-off with its reason, the patient's balance (PR
   only), or a follow-up.
2. **information_requests** — 277 requests for additional information (STC R*) become work
   items (what is asked, in words; payer claim number; due date); unanswered ones past their due
   date are flagged (include/billing/rfai.py; answering writes the records packet).
   **send_information_packets** uploads each answered packet to the clearinghouse's inbound
   folder (`ATT_<attachment control number>.zip`, see docs/denials.md) and records
   `information_uploaded` on the claim; it opens no SFTP session when nothing was answered.
3. **print_appeal_pdfs** — the appeal letters' PDFs (headless Chromium, outside the database
   transactions; `BILLING_APPEAL_PDF=0` turns it off).
4. **auto_correct** — only when the `demo_auto_correct` param (or `BILLING_DEMO_AUTO_CORRECT=1`)
   is set: the demo's billing clerk (include/devenv/demo_clerk.py) corrects from the practice's
   record and releases up to `demo_limit` items.
5. **create_replacements** — items a person resolved after correcting the claim become
   frequency-7 replacements (REF*F8) or new claims (frequency 1), scrubbed, then `ready` for
   **claims_submission**.

**emit_denials_routed** records `billing://denials/routed` (claims_submission runs on it) only
when denials were routed, claims corrected or replacements made (skipped otherwise). Counts only in XCom.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Param, dag, get_current_context, task

from include.assets import DENIALS_ROUTED, REMITTANCES_POSTED
from include.dag_support import DEFAULT_ARGS, actor, as_of_param, billing_connection, emit_task, run_clock, schedule


@dag(
    dag_id="denial_management",
    schedule=schedule("BILLING_DENIALS_SCHEDULE", "0 6 * * *", assets=[REMITTANCES_POSTED]),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "denials", "appeals", "CARC"],
    doc_md=__doc__,
    params={
        "as_of": as_of_param("today"),
        "demo_auto_correct": Param(os.environ.get("BILLING_DEMO_AUTO_CORRECT", "0") == "1", type="boolean",
                                   description="let the demo clerk correct and release correction items"),
        "demo_limit": Param(None, type=["null", "integer"], description="at most this many demo corrections"),
    },
)
def denial_management():
    @task
    def route_denials() -> dict:
        from include.billing.denials import route_denials as route

        context = get_current_context()
        with billing_connection() as conn:
            return route(conn, actor=actor(context), today=run_clock(context).date())

    @task
    def information_requests() -> dict:
        from include.billing.rfai import flag_expired_requests, open_information_requests

        context = get_current_context()
        with billing_connection() as conn:
            opened = open_information_requests(conn, actor=actor(context))
            flagged = flag_expired_requests(conn, actor=actor(context), today=run_clock(context).date())
        return {**opened, **flagged}

    @task
    def send_information_packets() -> dict:
        from include.billing.rfai import pending_packets, upload_information_packets
        from include.dag_support import clearinghouse_files

        with billing_connection() as conn:
            if not pending_packets(conn):
                return {"packets_uploaded": 0}       # no SFTP session when nothing was answered
        with clearinghouse_files() as remote, billing_connection() as conn:
            return upload_information_packets(conn, remote, actor=actor(get_current_context()),
                                              inbound_dir=os.environ.get("BILLING_SFTP_INBOUND", "inbound"))

    @task
    def print_appeal_pdfs() -> dict:
        from include.billing.appeals import print_pending_pdfs

        with billing_connection() as conn:
            return print_pending_pdfs(conn)

    @task
    def auto_correct(params=None) -> dict:
        from include.devenv.demo_clerk import auto_correct_for_demo

        if not params.get("demo_auto_correct"):
            return {"corrected": 0, "enabled": False}
        context = get_current_context()
        with billing_connection() as conn:
            n = auto_correct_for_demo(conn, actor(context), params.get("demo_limit"),
                                      today=run_clock(context).date())
        return {"corrected": n, "enabled": True}

    @task
    def create_replacements() -> dict:
        from include.billing.denials import create_replacements as replace

        context = get_current_context()
        with billing_connection() as conn:
            return replace(conn, actor=actor(context), today=run_clock(context).date())

    routed = route_denials()
    corrected = auto_correct()
    replaced = create_replacements()
    routed >> information_requests() >> send_information_packets() >> print_appeal_pdfs() >> corrected >> replaced
    emit_task(DENIALS_ROUTED, keys=("routed", "corrected", "replacements"),
              task_id="emit_denials_routed")(routed, corrected, replaced)


dag_denial_management = denial_management()
