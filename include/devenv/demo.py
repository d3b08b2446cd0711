"""`make demo`: the whole revenue cycle on one machine, through Airflow itself.

Starts (or reuses) PostgreSQL, the sandbox clearinghouse and a mail sink; migrates; seeds a
practice (BILLING_DEMO_VISITS, default 500); then runs the DAGs in order with `dag.test()` —
submission, acknowledgments, posting, denials and resubmission, reports — while the sandbox
answers on a simulated clock. Ends with a summary table and `.run/demo/summary.json`.
Running it again is safe: nothing is billed, sent or posted twice.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from include.billing.private_files import write_private
from include.devenv.paths import PROJECT_ROOT, run_dir, sub_dir

DEFAULT_VISITS = 500
SEED = 7
SCENARIO = PROJECT_ROOT / "include" / "sandbox" / "scenarios" / "default.yaml"


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)


def _run_dag(dag_id: str, progress: Progress, conf: dict | None = None) -> str:
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401  (Airflow configured by now)

    from include.devenv.dags import load_dag

    started = time.monotonic()
    dag = load_dag(dag_id)
    dag_run = dag.test(run_conf=conf or {})
    state = str(getattr(dag_run.state, "value", dag_run.state))
    progress(f"  {dag_id}: {state} in {time.monotonic() - started:.1f}s")
    if state != "success":
        raise SystemExit(f"demo stopped: DAG {dag_id} ended {state}; task logs are in .run/airflow/logs")
    return dag_run.run_id


def main() -> int:
    progress = Progress()
    visits = int(os.environ.get("BILLING_DEMO_VISITS", DEFAULT_VISITS))
    demo_dir = sub_dir("demo")

    progress("database")
    from include.billing.db import connect, migrate
    from include.devenv.postgres import database_url

    url = database_url()
    migrate(url)

    progress(f"practice: {visits} visits, seed {SEED}")
    from include.practice.roster import export_roster
    from include.practice.seed import ensure_practice

    with connect(url) as conn:
        seeded = ensure_practice(conn, visits=visits, seed=SEED)
        conn.commit()
        roster_path = sub_dir("sandbox") / "roster.json"
        export_roster(conn, roster_path)
    for line in seeded.lines():
        progress(f"  {line}")

    progress("clearinghouse sandbox, mail sink, Airflow home")
    from include.devenv.mailsink import start_mail_sink
    from include.devenv.stack import LocalStack, airflow_db_migrate, start_clearinghouse

    process, reach = start_clearinghouse(roster_path, SCENARIO)
    mail_dir = sub_dir("mail")
    mail = start_mail_sink(mail_dir)
    stack = LocalStack(
        database_url=url, clearinghouse_root=reach["root"], roster_path=roster_path, scenario_path=SCENARIO,
        sftp_port=reach["sftp_port"], http_port=reach["http_port"], host_public_key=reach["host_public_key"],
        client_key=reach["client_key"], smtp_port=mail.port, mail_dir=mail_dir,
        airflow_home=run_dir() / "airflow", processes=[process], mail_controller=mail,
    )
    try:
        env = stack.airflow_env()
        os.environ.update(env)
        airflow_db_migrate(env)
        summary = _cycle(stack, progress, url)
    finally:
        stack.stop()

    summary["elapsed_seconds"] = round(time.monotonic() - progress.started, 1)
    write_private(demo_dir / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(summary, demo_dir / "summary.json")
    return 0


def _cycle(stack, progress: Progress, url: str) -> dict:
    from include.sandbox import Clearinghouse, Roster, Scenario

    clearinghouse = Clearinghouse(stack.clearinghouse_root, Scenario.load(stack.scenario_path),
                                  Roster.load(stack.roster_path))
    delay = timedelta(days=clearinghouse.scenario.adjudication_delay_days)
    now = datetime.now(UTC)

    progress("1. claims_submission: visits → data quality → eligibility → scrubbing → 837P over SFTP")
    _run_dag("claims_submission", progress)
    progress("   clearinghouse answers with 999 and 277CA")
    clearinghouse.process(now=now)
    progress("2. clearinghouse_responses: 999 / 277CA → claim status")
    _run_dag("clearinghouse_responses", progress, conf={"as_of": now.isoformat()})
    later = now + delay
    progress(f"   {delay.days} simulated days later the payers pay: 835s")
    clearinghouse.process(now=later)
    _run_dag("clearinghouse_responses", progress, conf={"as_of": later.isoformat()})
    progress("3. remittance_posting: 835 → payments, adjustments, patient responsibility")
    _run_dag("remittance_posting", progress)
    progress("4. denial_management: route denials; the demo clerk corrects some")
    _run_dag("denial_management", progress, conf={"demo_auto_correct": True, "as_of": later.isoformat()})
    progress("5. claims_submission: replacement and secondary claims")
    _run_dag("claims_submission", progress)
    clearinghouse.process(now=later)
    final = later + delay
    clearinghouse.process(now=final)
    _run_dag("clearinghouse_responses", progress, conf={"as_of": final.isoformat()})
    _run_dag("remittance_posting", progress)
    progress("6. billing_reports: KPIs, charts and the email")
    _run_dag("billing_reports", progress, conf={"as_of": final.date().isoformat()})

    return _summary(stack, url)


def _summary(stack, url: str) -> dict:
    from include.billing.cycle_summary import cycle_summary
    from include.billing.db import connect
    from include.billing.reports import compute_kpis

    with connect(url) as conn:
        summary = cycle_summary(conn)
        submitted = conn.execute(
            "SELECT count(DISTINCT claim_id) FROM billing.claim_events WHERE to_status = 'submitted'"
        ).fetchone()[0]
        summary["claims_submitted"] = submitted
        today = date.today()
        kpis = compute_kpis(conn, period_start=today - timedelta(days=90), period_end=today + timedelta(days=90),
                            as_of=today + timedelta(days=60))
        files = conn.execute(
            """SELECT transaction_type, count(*) FROM billing.edi_files GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    summary["first_pass_acceptance_rate"] = _text(kpis.get("first_pass_acceptance_rate"))
    summary["days_in_ar"] = _text(kpis.get("days_in_ar"))
    emails = sorted(stack.mail_dir.glob("*.eml"))
    summary["report_email"] = str(emails[-1]) if emails else None
    reports = sorted(sub_dir("reports").rglob("*.html"))
    summary["report_html"] = str(reports[-1]) if reports else None
    root = stack.clearinghouse_root
    summary["files_837"] = sorted(str(p) for p in root.rglob("*") if p.is_file() and _st01(p) == "837")
    summary["files_835"] = sorted(str(p) for p in root.rglob("*") if p.is_file() and _st01(p) == "835")
    summary["edi_files_stored"] = {kind: count for kind, count in files}
    return summary


def _st01(path: Path) -> str | None:
    """The transaction type of a file's first transaction set, or None if it isn't X12."""
    from include.edi.errors import X12Error
    from include.edi.reader import iter_segments

    try:
        for segment in iter_segments(path):
            if segment.tag == "ST":
                return segment.el(1)
    except X12Error:
        return None
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _print_summary(summary: dict, path: Path) -> None:
    rows = [
        ("claims submitted", summary.get("claims_submitted")),
        ("claims accepted", summary.get("claims_accepted")),
        ("claims rejected", summary.get("claims_rejected")),
        ("claims paid", summary.get("claims_paid")),
        ("claims denied", summary.get("claims_denied")),
        ("claims corrected", summary.get("claims_corrected")),
        ("payments posted", summary.get("payments_posted_total")),
        ("patient responsibility", summary.get("patient_responsibility_total")),
        ("first-pass acceptance rate", summary.get("first_pass_acceptance_rate")),
        ("days in A/R", summary.get("days_in_ar")),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    print("Revenue cycle summary")
    print("-" * (width + 20))
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("-" * (width + 20))
    print(f"837P files:  {len(summary.get('files_837') or [])} (e.g. {(summary.get('files_837') or ['-'])[0]})")
    print(f"835 files:   {len(summary.get('files_835') or [])} (e.g. {(summary.get('files_835') or ['-'])[0]})")
    print(f"report:      {summary.get('report_html')}")
    print(f"email:       {summary.get('report_email')}")
    print(f"summary:     {path}")
    print(f"took {summary['elapsed_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
