"""`make demo`: the whole revenue cycle on one machine, through Airflow itself.

Starts (or reuses) PostgreSQL, the sandbox clearinghouse and a mail sink; migrates; seeds a
practice (BILLING_DEMO_VISITS, default 500); then runs the DAGs in order with `dag.test()` —
submission, acknowledgments, posting, denials and resubmission, reports — while the sandbox
answers on a simulated clock. Ends with a summary table and `.run/demo/summary.json`.
Running it again is safe: nothing is billed, sent or posted twice.

remittance_posting and denial_management are not simply run in turn: after each
clearinghouse_responses stage the demo asks, as Airflow's scheduler would (`SimulatedScheduler`),
whether one is due — an event on its Asset since its last run (read from Airflow's metadata
database; the emit_* tasks record one only when there was work) or a tick of its own cron
between its last run and now on the demo's simulated clock. The summary counts the runs.

The terminal shows a live view: one line per stage (a progress bar, its time, its counts)
and, at the end, what to open. Airflow's task logs and anything else a stage prints go to
`.run/airflow/logs/demo/NN_<stage>.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from include.billing.private_files import write_private
from include.devenv.paths import PROJECT_ROOT, run_dir, sub_dir

DEFAULT_VISITS = 500
SEED = 7
SCENARIO = PROJECT_ROOT / "include" / "sandbox" / "scenarios" / "default.yaml"


BAR = 24


class Live:
    """The demo's live view: one line per stage with its counts and a progress bar.

    Everything else a stage prints (Airflow's task logs, library warnings, subprocess output)
    goes to a log file of its own under .run/airflow/logs/demo/, so the terminal shows only
    what a newcomer can read and act on.
    """

    def __init__(self, total: int, log_dir: Path) -> None:
        self.started = time.monotonic()
        self.total = total
        self.done = 0
        self.timings: list[dict] = []
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        self.out = os.fdopen(os.dup(1), "w", buffering=1)        # the terminal, whatever fd 1 becomes
        # anything printed outside a stage (imports, shutdown) goes to a log of its own too
        fd = os.open(self.log_dir / "00_demo.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    def _bar(self) -> str:
        filled = BAR * self.done // max(1, self.total)
        return "[" + "#" * filled + "." * (BAR - filled) + f"] {self.done:>2}/{self.total}"

    @contextlib.contextmanager
    def captured(self, name: str):
        """Send fd 1 and 2 (and so Airflow's console logging and subprocesses) to a log file."""
        path = self.log_dir / f"{self.done + 1:02d}_{name}.log"
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)   # task logs may hold PHI
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            yield path
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for f in (fd, *saved):
                os.close(f)
            if path.stat().st_size == 0:      # a quiet stage leaves no empty file behind
                path.unlink()

    def not_due(self, label: str, detail: str) -> None:
        """A stage the demo checked and did not run (the scheduler would not have started it)."""
        self.done += 1
        self.timings.append({"stage": label, "seconds": 0.0})
        self.say(f"{self._bar()} {0.0:5.1f}s  {label:<34} {detail}".rstrip())

    def stage(self, label: str, fn, counts=None):
        """Run one stage quietly, then print its line: bar, time, label, counts."""
        started = time.monotonic()
        name = "".join(ch if ch.isalnum() else "_" for ch in label.split(":")[0].strip().lower())[:40]
        try:
            with self.captured(name) as path:
                result = fn()
        except BaseException as exc:
            why = str(exc) if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {str(exc)[:200]}"
            self.say(f"{self._bar()}  {label}: FAILED ({why}) - the log: {path}")
            raise
        self.done += 1
        seconds = time.monotonic() - started
        self.timings.append({"stage": label, "seconds": round(seconds, 2)})
        detail = counts(result) if counts else ""
        self.say(f"{self._bar()} {seconds:5.1f}s  {label:<34} {detail}".rstrip())
        return result


# DAG runs this demo started, per DAG (the summary's dag_runs)
_RUNS: Counter = Counter()


def _run_dag(dag_id: str, conf: dict | None = None) -> str:
    from include.devenv.dags import load_dag

    dag = load_dag(dag_id)
    dag_run = dag.test(run_conf=conf or {})
    _RUNS[dag_id] += 1
    state = str(getattr(dag_run.state, "value", dag_run.state))
    if state != "success":
        raise SystemExit(f"demo stopped: DAG {dag_id} ended {state}; task logs are in .run/airflow/logs")
    return dag_run.run_id


class SimulatedScheduler:
    """Whether an Asset-or-time scheduled DAG is due, decided the way Airflow's scheduler decides,
    on the demo's simulated clock.

    Due when (a) one of the DAG's Assets got an event since the DAG's last run started (Airflow's
    metadata database: `asset_event` after the latest `dag_run`; an emit_* task records an event
    only when its run changed something), or (b) its own cron (the timetable in the DAG file,
    e.g. BILLING_POSTING_SCHEDULE) ticked between the simulated time of its last run — or the
    demo's start — and `at`. With catchup off, any number of ticks make one run.
    """

    def __init__(self, started: datetime) -> None:
        self.started = started
        self.last_clock: dict[str, datetime] = {}
        self.decisions: list[dict] = []

    def reasons(self, dag_id: str, at: datetime) -> list[str]:
        from croniter import croniter

        from include.assets import uris_of
        from include.devenv.dags import load_dag

        schedule = load_dag(dag_id).timetable
        why = []
        events = self._events_since_last_run(dag_id, uris_of(getattr(schedule, "asset_condition", None)))
        if events:
            why.append(f"asset: {events} event(s)")
        cron = getattr(getattr(schedule, "timetable", schedule), "summary", None)
        since = self.last_clock.get(dag_id, self.started)
        if cron and croniter.is_valid(cron):
            tick = croniter(cron, since).get_next(datetime)
            if tick <= at:
                why.append(f"schedule: {cron} came round at {tick.isoformat()}")
        return why

    @staticmethod
    def _events_since_last_run(dag_id: str, uris: set[str]) -> int:
        from airflow.models.asset import AssetEvent, AssetModel
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import func, select

        if not uris:
            return 0
        with create_session() as session:
            last = session.scalar(select(func.max(DagRun.start_date)).where(DagRun.dag_id == dag_id))
            query = (select(func.count(AssetEvent.id)).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                     .where(AssetModel.uri.in_(sorted(uris))))
            if last is not None:
                query = query.where(AssetEvent.timestamp > last)
            return session.scalar(query) or 0

    def run_if_due(self, live: Live, dag_id: str, at: datetime, label: str, conf: dict | None = None,
                   counts=None, idle: str = "") -> str | None:
        why = self.reasons(dag_id, at)
        decision = {"dag_id": dag_id, "clock": at.isoformat(), "why": why, "run_id": None}
        self.decisions.append(decision)
        if not why:
            live.not_due(label, f"not due: {idle or 'no new Asset event'}, its schedule not come round")
            return None
        decision["run_id"] = live.stage(label, lambda: _run_dag(dag_id, conf), counts)
        self.last_clock[dag_id] = at
        return decision["run_id"]


STAGES = 22
_SCHEDULER: SimulatedScheduler | None = None
_LIVE: Live | None = None


def main() -> int:
    visits = int(os.environ.get("BILLING_DEMO_VISITS", DEFAULT_VISITS))
    demo_dir = sub_dir("demo")
    log_dir = run_dir() / "airflow" / "logs" / "demo"
    live = Live(STAGES, log_dir)
    global _LIVE
    _LIVE = live
    live.say(f"make demo: {visits} visits through the revenue cycle; task logs go to {log_dir}")

    from include.billing.db import connect, migrate
    from include.devenv.postgres import database_url

    def database() -> str:
        url = database_url()
        migrate(url)
        return url

    url = live.stage("database: PostgreSQL + migrations", database)

    from include.practice.roster import export_roster
    from include.practice.seed import ensure_practice

    roster_path = sub_dir("sandbox") / "roster.json"

    def seed():
        with connect(url) as conn:
            seeded = ensure_practice(conn, visits=visits, seed=SEED)
            conn.commit()
            export_roster(conn, roster_path)
        return seeded

    live.stage("practice: patients, payers, visits", seed,
               lambda s: s.lines()[0].replace("practice ", ""))

    from include.devenv.mailsink import start_mail_sink
    from include.devenv.stack import LocalStack, airflow_db_migrate, start_clearinghouse

    def start():
        process, reach = start_clearinghouse(roster_path, SCENARIO)
        mail_dir = sub_dir("mail")
        mail = start_mail_sink(mail_dir)
        stack = LocalStack(
            database_url=url, clearinghouse_root=reach["root"], roster_path=roster_path, scenario_path=SCENARIO,
            sftp_port=reach["sftp_port"], http_port=reach["http_port"], host_public_key=reach["host_public_key"],
            client_key=reach["client_key"], smtp_port=mail.port, mail_dir=mail_dir,
            airflow_home=run_dir() / "airflow", processes=[process], mail_controller=mail,
        )
        env = stack.airflow_env()
        os.environ.update(env)
        # the report lives in the artefact store; the demo also keeps a copy as files to open
        os.environ.setdefault("BILLING_REPORTS_DIR", str(sub_dir("reports")))
        airflow_db_migrate(env)
        return stack

    stack = live.stage("stack: clearinghouse (SFTP), mail, Airflow", start,
                       lambda st: f"sftp port {st.sftp_port}, smtp port {st.smtp_port}")
    try:
        report_as_of = _cycle(stack, live, url)
        with live.captured("summary"):
            summary = _summary(stack, url, as_of=report_as_of)
    finally:
        with live.captured("stop"):
            stack.stop()

    summary["elapsed_seconds"] = round(time.monotonic() - live.started, 1)
    summary["task_logs"] = str(log_dir)
    summary["stages"] = live.timings
    write_private(demo_dir / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(summary, demo_dir / "summary.json", live)
    return 0


def _statuses(url: str) -> dict:
    from include.billing.db import connect

    with connect(url) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM billing.claims GROUP BY 1").fetchall())


def _patient_counts(url: str) -> dict:
    from include.billing.db import connect

    with connect(url) as conn:
        return {"statements": conn.execute("SELECT count(*) FROM billing.statements").fetchone()[0],
                "patient_payments": conn.execute("SELECT count(*) FROM billing.patient_payments").fetchone()[0]}


def _fmt(counts: dict, keys) -> str:
    return " · ".join(f"{k.replace('_', ' ')} {counts.get(k, 0)}" for k in keys if counts.get(k))


def _cycle(stack, live: Live, url: str) -> date:
    from include.sandbox import Clearinghouse, Roster, Scenario

    roster = Roster.load(stack.roster_path)
    clearinghouse = Clearinghouse(stack.clearinghouse_root, Scenario.load(stack.scenario_path, roster.payers),
                                  roster)
    delay = timedelta(days=clearinghouse.scenario.adjudication_delay_days)
    now = datetime.now(UTC)
    later = now + delay
    final = later + delay
    global _SCHEDULER
    scheduler = _SCHEDULER = SimulatedScheduler(now)

    def claims(keys):
        return lambda _=None: _fmt(_statuses(url), keys)

    def sandbox(at, label):
        def step():
            return clearinghouse.process(now=at)

        def counts(r):
            parts = [f"{r.claims_received} claims in" if r.claims_received else "",
                     f"{r.claims_accepted} forwarded" if r.claims_accepted else "",
                     f"{r.claims_rejected} rejected" if r.claims_rejected else "",
                     f"{r.remittances} 835s ({r.claims_adjudicated} claims, ${r.amount_paid})" if r.remittances else "",
                     f"{r.crossovers} crossovers" if r.crossovers else ""]
            return " · ".join(p for p in parts if p) or "nothing due"
        return live.stage(label, step, counts)

    done = ["paid", "partially_paid", "denied", "accepted", "rejected"]

    def posting_and_denials(at):
        """What the scheduler would start after the responses at `at`: posting on new 835s or its
        hourly tick, then denial management on posted remittances or its daily tick."""
        scheduler.run_if_due(live, "remittance_posting", at, "remittance_posting: 835 in", counts=claims(done),
                             idle="no new 835")
        scheduler.run_if_due(live, "denial_management", at, "denial_management",
                             {"demo_auto_correct": True, "as_of": at.isoformat()},
                             claims(["denied", "ready", "replaced"]), idle="nothing posted")

    pipeline = ["ready", "held", "submitted"]
    live.stage("claims_submission: 837P out", lambda: _run_dag("claims_submission"), claims(pipeline))
    sandbox(now, "sandbox: 999 + 277CA (clearinghouse)")
    live.stage("clearinghouse_responses", lambda: _run_dag("clearinghouse_responses", {"as_of": now.isoformat()}),
               claims(["accepted", "rejected", "acknowledged"]))
    posting_and_denials(now)
    sandbox(later, f"sandbox: +{delay.days} days, payers answer")
    live.stage("clearinghouse_responses", lambda: _run_dag("clearinghouse_responses", {"as_of": later.isoformat()}),
               claims(["accepted", "rejected"]))
    posting_and_denials(later)
    live.stage("claims_submission: corrections", lambda: _run_dag("claims_submission"), claims(pipeline))
    sandbox(later, "sandbox: corrections received")
    sandbox(final, f"sandbox: +{delay.days} more days")
    live.stage("clearinghouse_responses", lambda: _run_dag("clearinghouse_responses", {"as_of": final.isoformat()}),
               claims(["accepted", "rejected"]))
    posting_and_denials(final)
    def statements(at, label, pay):
        conf = {"as_of": at.isoformat(), "demo_guarantors": pay}
        return live.stage(label, lambda: _run_dag("patient_statements", conf),
                          lambda _: _fmt(_patient_counts(url), ["statements", "patient_payments"]))

    statements(final, "patient_statements: first statements", False)
    statements(final + timedelta(days=20), "patient_statements: guarantors pay", True)
    statements(final + timedelta(days=30), "patient_statements: next cycle", True)
    # the database stamps claims, events and postings with today's clock while the payers answer on
    # the simulated one: the report (and the summary, at the same as_of) covers today, when it all ran
    report_day = now.date()
    live.stage("billing_reports: KPIs + e-mail", lambda: _run_dag("billing_reports",
                                                                  {"as_of": report_day.isoformat()}),
               lambda _: f"{len(list(stack.mail_dir.glob('*.eml')))} e-mail(s) in the mail sink")
    return report_day


def _summary(stack, url: str, *, as_of: date) -> dict:
    """The summary reads the KPIs at the billing report's as_of, so both show the same numbers."""
    from include.billing.accounts import load_accounts
    from include.billing.cycle_summary import cycle_summary, kpi_summary
    from include.billing.db import connect

    with connect(url) as conn:
        summary = cycle_summary(conn)
        submitted = conn.execute(
            "SELECT count(DISTINCT claim_id) FROM billing.claim_events WHERE to_status = 'submitted'"
        ).fetchone()[0]
        summary["claims_submitted"] = submitted
        kpis = kpi_summary(conn, as_of)
        files = conn.execute(
            """SELECT transaction_type, count(*) FROM billing.edi_files GROUP BY 1 ORDER BY 1"""
        ).fetchall()
        summary["statements_sent"] = conn.execute("SELECT count(*) FROM billing.statements").fetchone()[0]
        (paid,) = conn.execute("SELECT coalesce(sum(amount), 0) FROM billing.patient_payments").fetchone()
        summary["patient_payments_total"] = f"{paid:.2f}"
        summary["patient_ar_total"] = f"{sum((a.patient_balance for a in load_accounts(conn)), Decimal(0)):.2f}"
    summary["first_pass_acceptance_rate"] = _text(kpis.get("first_pass_acceptance_rate"))
    summary["days_in_ar"] = _text(kpis.get("days_in_ar"))
    summary["kpis_as_of"] = as_of.isoformat()
    emails = sorted(stack.mail_dir.glob("*.eml"))
    summary["report_email"] = str(emails[-1]) if emails else None
    reports = sorted(sub_dir("reports").rglob("*.html"))
    summary["report_html"] = str(reports[-1]) if reports else None
    root = stack.clearinghouse_root
    summary["files_837"] = sorted(str(p) for p in root.rglob("*") if p.is_file() and _st01(p) == "837")
    summary["files_835"] = sorted(str(p) for p in root.rglob("*") if p.is_file() and _st01(p) == "835")
    summary["edi_files_stored"] = {kind: count for kind, count in files}
    # DAG runs this demo started (dag.test()), and why posting and denials ran or not
    summary["dag_runs"] = dict(sorted(_RUNS.items()))
    summary["scheduler_decisions"] = _SCHEDULER.decisions if _SCHEDULER else []
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


def _runs_text(summary: dict, dag_id: str) -> str:
    checked = sum(1 for d in summary.get("scheduler_decisions", []) if d["dag_id"] == dag_id)
    return f"{summary.get('dag_runs', {}).get(dag_id, 0)} of {checked} checks (new input or its schedule)"


def _print_summary(summary: dict, path: Path, live: Live) -> None:
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
        ("statements sent", summary.get("statements_sent")),
        ("patient payments", summary.get("patient_payments_total")),
        ("patient A/R", summary.get("patient_ar_total")),
        ("remittance_posting runs", _runs_text(summary, "remittance_posting")),
        ("denial_management runs", _runs_text(summary, "denial_management")),
        ("KPIs as of (= the report's)", summary.get("kpis_as_of")),
    ]
    width = max(len(label) for label, _ in rows)
    say = live.say
    say("")
    say("Revenue cycle summary")
    say("-" * (width + 20))
    for label, value in rows:
        say(f"{label:<{width}}  {value}")
    say("-" * (width + 20))
    say(f"done in {summary['elapsed_seconds']} s. Open:")
    say(f"  the report       {summary.get('report_html')}")
    say(f"  the e-mail       {summary.get('report_email')}")
    say(f"  the files        {len(summary.get('files_837') or [])} 837P, {len(summary.get('files_835') or [])} 835 "
        f"under {Path((summary.get('files_835') or ['.'])[0]).parent.parent}")
    say(f"  the summary      {path}")
    say(f"  task logs        {summary.get('task_logs')}")
    say("  the Airflow UI   make airflow   (then http://localhost:8080)")


if __name__ == "__main__":
    try:
        code = main()
    except SystemExit as exc:        # the failed stage said what and where; keep the exit code
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:
        import traceback

        traceback.print_exc()            # into the demo's log
        if _LIVE is not None:
            _LIVE.say(f"demo failed: {type(exc).__name__}: {str(exc)[:200]} - see {_LIVE.log_dir / '00_demo.log'}")
        code = 1
    sys.exit(code)
