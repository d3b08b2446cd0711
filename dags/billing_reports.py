"""
### Billing reports: revenue-cycle KPIs, A/R aging and charts, emailed to billing managers

Daily at `BILLING_REPORT_HOUR` (UTC hour, default 6; or the cron `BILLING_REPORT_SCHEDULE`) this DAG reads the billing ledger and
emails the report for the previous day (`as_of`):

1. **compute_metrics** — every KPI from the named queries in `include/sql/queries/reports/`
   (first-pass acceptance, clean-claim and denial rates, A/R payer vs patient, aging buckets,
   days in A/R, collection rates, processing times, work-queue backlog, payment postings) plus
   weekly trends; stored in the artefact store (`billing.artefacts`).
2. **render_report** — PNG charts (matplotlib), the HTML email (Jinja2, inline styles, charts
   by `cid:`), CSV + XLSX detail attachments (claims with balances, denied claims waiting for
   review, payment postings), each an artefact. Claim numbers and amounts only: no patient
   names, member ids, birth dates or diagnoses.
3. **send_email** — reads the report from the store into its own temporary folder, sends it through the SMTP connection `billing_smtp` (SmtpHook) to the `recipients`
   param or, when empty, the Airflow Variable `billing_report_recipients` (comma-separated).
4. **archive_report** — an index artefact (`report-<period>-<as_of>.json`) naming the report's
   artefacts; a copy into `BILLING_REPORTS_DIR/<as_of>/` only when that variable is set.

Params: `period` = daily | weekly | month_end, `as_of` (date; default: the day before the run),
`recipients`. A **daily** report adds a weekly section when as_of is a Sunday (the Monday run)
and a month section when as_of is the last day of its month; `weekly` / `month_end` runs
(triggered by hand) report just that window. Definitions: `docs/metrics.md`.
XCom carries artefact ids and counts only (never paths: the next task may run on another worker).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from airflow.sdk import Param, dag, get_current_context, task

from include.dag_support import BILLING_SMTP_CONN_ID, DEFAULT_ARGS, billing_connection, run_clock, schedule

RECIPIENTS_VARIABLE = "billing_report_recipients"


def _key(context) -> str:
    """Artefact keys of this run's report: a retried task replaces its artefacts, never adds."""
    return f"report/{context['dag_run'].dag_id}/{context['run_id']}"


def _kind(path: Path) -> str:
    if path.name == "manifest.json":
        return "report_manifest"
    return {".html": "report_html", ".png": "report_chart", ".json": "report_numbers"}.get(path.suffix,
                                                                                           "report_attachment")


@dag(
    dag_id="billing_reports",
    schedule=schedule("BILLING_REPORT_SCHEDULE", f"0 {os.environ.get('BILLING_REPORT_HOUR') or 6} * * *",
                      default_from="BILLING_REPORT_HOUR"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "reports", "kpi"],
    doc_md=__doc__,
    params={
        "period": Param("daily", type="string", enum=["daily", "weekly", "month_end"],
                        description="report window ending on as_of"),
        "as_of": Param(None, type=["null", "string"], format="date",
                       description="last day of the report (default: the day before the run)"),
        "recipients": Param(None, type=["null", "string"],
                            description=f"comma-separated addresses (default: Variable {RECIPIENTS_VARIABLE})"),
    },
)
def billing_reports():
    @task
    def compute_metrics() -> dict:
        from include.billing import artefacts
        from include.billing.reports import compute_report

        context = get_current_context()
        # the report's day: the last whole day before the run's clock (`as_of` given: that day)
        as_of, period = run_clock(context).date() - dt.timedelta(days=1), context["params"]["period"]
        with tempfile.TemporaryDirectory(prefix="billing-report-") as tmp, billing_connection() as conn:
            state = compute_report(conn, as_of, period, Path(tmp))
            state_id = artefacts.store(conn, kind="report_state", name=state.name, content=state.read_bytes(),
                                       natural_key=f"{_key(context)}/state")
        return {"state": state_id, "as_of": as_of.isoformat(), "period": period}

    @task
    def render_report(computed: dict) -> dict:
        from include.billing import artefacts
        from include.billing.reports import render_report

        context = get_current_context()
        with tempfile.TemporaryDirectory(prefix="billing-report-") as tmp, billing_connection() as conn:
            state = artefacts.materialise(conn, [computed["state"]], Path(tmp) / "state")
            bundle = render_report(next(iter(state.values())), Path(tmp) / "out")
            ids = artefacts.store_files(conn, bundle.files(), kind_of=_kind, key_prefix=_key(context))
        return {"artefacts": ids, "as_of": bundle.as_of.isoformat(), "period": bundle.period,
                "files": len(ids), **bundle.counts}

    @task
    def send_email(rendered: dict) -> dict:
        from airflow.providers.smtp.hooks.smtp import SmtpHook
        from airflow.sdk import Variable

        from include.billing import artefacts
        from include.billing.reports import ReportBundle
        from include.billing.reports.mailer import build_message, deliver, parse_recipients, smtp_client

        context = get_current_context()
        recipients = parse_recipients(context["params"].get("recipients")
                                      or Variable.get(RECIPIENTS_VARIABLE, default=None))
        sent_key = f"{_key(context)}/sent.json"
        with billing_connection() as conn:
            sent = artefacts.find(conn, sent_key)
            if sent is not None:     # a retry after the message went out: don't send it twice
                return json.loads(artefacts.load(conn, sent).content)
        with tempfile.TemporaryDirectory(prefix="billing-report-") as tmp:
            with billing_connection() as conn:     # the mailer reads the report from the store
                files = artefacts.materialise(conn, rendered["artefacts"], Path(tmp))
            bundle = ReportBundle.load(files["manifest.json"])
            connection = SmtpHook.get_connection(BILLING_SMTP_CONN_ID)
            sender = (connection.extra_dejson.get("from_email")
                      or os.environ.get("BILLING_REPORT_SENDER", "billing-reports@localhost"))
            message = build_message(bundle, recipients, sender)
            # send_email_smtp cannot build multipart/related with cid: images, so the report builds its
            # own MIME message and sends it over a client opened from the connection's public fields
            with smtp_client(connection) as client:
                deliver(client, message, recipients, sender)
        outcome = {"recipients": len(recipients), "attachments": len(bundle.attachments),
                   "message_bytes": len(message.as_bytes())}
        with billing_connection() as conn:
            artefacts.store(conn, kind="report_sent", name="sent.json", content=json.dumps(outcome).encode(),
                            natural_key=sent_key)
        return outcome

    @task
    def archive_report(rendered: dict, sent: dict) -> dict:
        from include.billing import artefacts

        context = get_current_context()
        index = {"as_of": rendered["as_of"], "period": rendered["period"], "artefacts": rendered["artefacts"],
                 "run_id": context["run_id"]}
        name = f"report-{rendered['period']}-{rendered['as_of']}.json"
        with billing_connection() as conn:
            index_id = artefacts.store(conn, kind="report_archive", name=name, content=json.dumps(index).encode(),
                                       natural_key=f"report-archive/{rendered['period']}/{rendered['as_of']}")
            exported = 0
            if os.environ.get("BILLING_REPORTS_DIR"):     # optional copy for people who want files
                exported = len(artefacts.materialise(conn, rendered["artefacts"],
                                                     Path(os.environ["BILLING_REPORTS_DIR"]) / rendered["as_of"]))
        return {"archive": index_id, "files": len(rendered["artefacts"]), "exported": exported,
                "emailed_to": sent["recipients"]}

    rendered = render_report(compute_metrics())
    archive_report(rendered, send_email(rendered))


dag_billing_reports = billing_reports()
