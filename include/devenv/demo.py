"""`make demo`: a practice that lives through a quarter, through Airflow itself.

Starts (or reuses) PostgreSQL, the sandbox clearinghouse and a mail sink; migrates; seeds a
practice (BILLING_DEMO_VISITS, default 500) whose visits fall on every working day of the last
three whole months; then runs the DAGs with `dag.test()` over those days on a simulated clock,
as the scheduler would (see `_cycle`): claims go out Monday and Thursday mornings, the sandbox
clearinghouse and payers answer as their lags come due, responses are fetched on Fridays and
posted as 835s arrive, denials are worked, weekly and month-end reports are e-mailed, statements
go out. Every run is a real DAG run. Each run's `as_of` sets the ledger's clock (billing.clock(),
migration 0018; the demo's own database allows the offset), so claims, events and postings carry
the simulated day and the reports' KPIs and trends read like a practice's.
Ends with a summary table (the KPIs of the last month-end report, at its as_of) and
`.run/demo/summary.json`. Running it again is safe: nothing is billed, sent or posted twice; the
simulated clock moves on a week (`.run/demo/clock.json`), so late answers and corrections go through.

remittance_posting and denial_management are not simply run in turn: after each Friday's
clearinghouse_responses the demo asks, as Airflow's scheduler would (`SimulatedScheduler`),
whether one is due — an event on its Asset since its last run (read from Airflow's metadata
database; the emit_* tasks record one only when there was work) or a tick of its own cron
between its last run and now on the demo's simulated clock. The summary counts the runs.

The terminal shows a live view: one line per set-up stage and per simulated week (a progress
bar, its time, its counts) and, at the end, what to open. Airflow's task logs and anything else
a stage prints go to `.run/airflow/logs/demo/NN_<stage>.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
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
        self.started = self.ticked = time.monotonic()
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
        self.timings.append({"stage": label, "seconds": 0.0, "not_due": detail})

    def tick(self, label: str, detail: str) -> None:
        """One line for a stretch of simulated days (the quiet stages run in it): bar, time, counts."""
        self.done += 1
        seconds = time.monotonic() - self.ticked
        self.ticked = time.monotonic()
        self.say(f"{self._bar()} {seconds:5.1f}s  {label:<34} {detail}".rstrip())

    def stage(self, label: str, fn, counts=None, quiet: bool = False):
        """Run one stage quietly, then print its line: bar, time, label, counts (`quiet`: no line,
        its time goes into the next `tick`)."""
        started = time.monotonic()
        name = "".join(ch if ch.isalnum() else "_" for ch in label.split(":")[0].strip().lower())[:40]
        try:
            with self.captured(name) as path:
                result = fn()
        except BaseException as exc:
            why = str(exc) if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {str(exc)[:200]}"
            self.say(f"{self._bar()}  {label}: FAILED ({why}) - the log: {path}")
            raise
        seconds = time.monotonic() - started
        self.timings.append({"stage": label, "seconds": round(seconds, 2)})
        if quiet:
            return result
        self.done += 1
        self.ticked = time.monotonic()
        detail = counts(result) if counts else ""
        self.say(f"{self._bar()} {seconds:5.1f}s  {label:<34} {detail}".rstrip())
        return result


# DAG runs this demo started, per DAG (the summary's dag_runs)
_RUNS: Counter = Counter()


_DAGS: dict = {}


def _dag(dag_id: str):
    """The DAG object from its file, loaded once per demo (each load re-executes the file)."""
    if dag_id not in _DAGS:
        from include.devenv.dags import load_dag

        _DAGS[dag_id] = load_dag(dag_id)
    return _DAGS[dag_id]


def _run_dag(dag_id: str, conf: dict | None = None) -> str:
    dag = _dag(dag_id)
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

        schedule = _dag(dag_id).timetable
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
                   counts=None, idle: str = "", quiet: bool = False) -> str | None:
        why = self.reasons(dag_id, at)
        decision = {"dag_id": dag_id, "clock": at.isoformat(), "why": why, "run_id": None}
        self.decisions.append(decision)
        if not why:
            live.not_due(label, f"not due: {idle or 'no new Asset event'}, its schedule not come round")
            return None
        decision["run_id"] = live.stage(label, lambda: _run_dag(dag_id, conf), counts, quiet=quiet)
        self.last_clock[dag_id] = at
        return decision["run_id"]


_SCHEDULER: SimulatedScheduler | None = None
_LIVE: Live | None = None
# a rerun moves the quarter on by this many simulated days (late answers, corrections)
FOLLOW_UP_DAYS = 7


def quarter_of(today: date) -> tuple[date, date]:
    """The three whole months before `today`'s month: the quarter the demo's practice lives through."""
    first = today.replace(day=1)
    year, month = (first.year, first.month - 3) if first.month > 3 else (first.year - 1, first.month + 9)
    return date(year, month, 1), first - timedelta(days=1)


def demo_days(start: date, end: date, last_run: date | None) -> list[date]:
    """The simulated days of this run: the quarter and the morning after it, or, when an earlier
    run got that far, FOLLOW_UP_DAYS more."""
    if last_run is None:
        return [start + timedelta(days=i) for i in range((end - start).days + 2)]
    return [last_run + timedelta(days=i) for i in range(1, FOLLOW_UP_DAYS + 1)]


def main() -> int:
    visits = int(os.environ.get("BILLING_DEMO_VISITS", DEFAULT_VISITS))
    demo_dir = sub_dir("demo")
    log_dir = run_dir() / "airflow" / "logs" / "demo"
    clock_file = demo_dir / "clock.json"
    last_run = (date.fromisoformat(json.loads(clock_file.read_text())["last_day"])
                if clock_file.exists() else None)
    start, end = quarter_of(date.today())
    # the bar: 3 set-up stages, then one line per simulated week (the quarter has at most 15)
    live = Live(3 + (2 if last_run else 15), log_dir)
    global _LIVE
    _LIVE = live
    live.say(f"make demo: {visits} visits through a quarter of the revenue cycle; task logs go to {log_dir}")

    from include.billing.clock import allow_offset
    from include.billing.db import connect, migrate
    from include.devenv.postgres import database_url

    def database() -> str:
        url = database_url()
        migrate(url)
        with connect(url) as conn:       # the demo's own database: DAG runs may set the ledger's clock
            allow_offset(conn, True, "make demo: DAG runs stamp the ledger with their simulated as_of")
            conn.commit()
        return url

    url = live.stage("database: PostgreSQL + migrations", database)

    from include.practice.roster import export_roster
    from include.practice.seed import ensure_practice

    roster_path = sub_dir("sandbox") / "roster.json"

    def seed():
        with connect(url) as conn:
            seeded = ensure_practice(conn, visits=visits, seed=SEED, today=end + timedelta(days=1),
                                     start_date=start, end_date=end, quarter=True)
            conn.commit()
            export_roster(conn, roster_path)
        return seeded

    seeded = live.stage("practice: patients, payers, visits", seed,
                        lambda s: s.lines()[0].replace("practice ", ""))
    # a practice seeded earlier keeps its quarter
    start, end = seeded.start_date or start, seeded.end_date or end

    from include.devenv.mailsink import start_mail_sink
    from include.devenv.stack import LocalStack, airflow_db_migrate, start_clearinghouse

    def start_stack():
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
        # posting runs as 835s arrive (its Asset); its hourly fallback tick would only add idle runs
        # on the demo's coarse clock, so here it is monthly
        os.environ.setdefault("BILLING_POSTING_SCHEDULE", "0 5 1 * *")
        airflow_db_migrate(env)
        return stack

    stack = live.stage("stack: clearinghouse (SFTP), mail, Airflow", start_stack,
                       lambda st: f"sftp port {st.sftp_port}, smtp port {st.smtp_port}")
    days = demo_days(start, end, last_run)
    try:
        report_as_of = _cycle(stack, live, url, days, end)
        write_private(clock_file, json.dumps({"last_day": days[-1].isoformat()}) + "\n")
        with live.captured("summary"):
            summary = _summary(stack, url, as_of=report_as_of)
    finally:
        with live.captured("stop"):
            stack.stop()

    summary["elapsed_seconds"] = round(time.monotonic() - live.started, 1)
    summary["task_logs"] = str(log_dir)
    summary["stages"] = live.timings
    summary["simulated_days"] = [days[0].isoformat(), days[-1].isoformat()]
    write_private(demo_dir / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    _print_summary(summary, demo_dir / "summary.json", live)
    return 0


def _statuses(url: str) -> dict:
    from include.billing.db import connect

    with connect(url) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM billing.claims GROUP BY 1").fetchall())


def _fmt(counts: dict, keys) -> str:
    return " · ".join(f"{k.replace('_', ' ')} {counts.get(k, 0)}" for k in keys if counts.get(k))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dt_time(hour, minute), UTC)


def _cycle(stack, live: Live, url: str, days: list[date], quarter_end: date) -> date:
    """The scheduler's work over `days` on the simulated clock, as a practice would run it:

    - claims_submission Monday and Thursday mornings (visits completed by then; corrections) and
      the morning after the quarter;
    - the clearinghouse and payers answer as their lags come due (the sandbox, on the same clock);
    - clearinghouse_responses on Friday afternoons, then remittance_posting and denial_management
      when due (a new 835 / a posted remittance, or their cron);
    - billing_reports: month-end on the 1st, and weekly on the Mondays of the last month (the week
      to Sunday); the last report of the run is the month-end of the last whole month, and the
      demo's KPIs are its;
    - patient_statements mid-October and mid-November (guarantors pay from the second).
    Returns the as_of of the last report.
    """
    from include.sandbox import Clearinghouse, Roster, Scenario

    roster = Roster.load(stack.roster_path)
    clearinghouse = Clearinghouse(stack.clearinghouse_root, Scenario.load(stack.scenario_path, roster.payers),
                                  roster)
    global _SCHEDULER
    scheduler = _SCHEDULER = SimulatedScheduler(_at(days[0], 0))
    week: Counter = Counter()
    statement_days = {quarter_end.replace(day=1) - timedelta(days=16): False, quarter_end.replace(day=12): True}
    last_month = quarter_end.replace(day=1)

    def run(dag_id: str, label: str, conf: dict) -> str:
        week[dag_id] += 1
        return live.stage(label, lambda: _run_dag(dag_id, conf), quiet=True)

    def sandbox(at: datetime, label: str):
        r = live.stage(label, lambda: clearinghouse.process(now=at), quiet=True)
        week["835s"] += r.remittances
        week["claims adjudicated"] += r.claims_adjudicated
        week["crossovers"] += r.crossovers
        return r

    def report(as_of: date, period: str) -> date:
        run("billing_reports", f"billing_reports: {period} {as_of}", {"as_of": as_of.isoformat(), "period": period})
        return as_of

    last_report = None
    week_start = days[0]
    for day in days:
        # one day's runs in the order of their clocks, so no run writes before rows it has read
        weekday = day.weekday()
        # Monday and Thursday the claims go out at 07:00, and the morning after the quarter (its
        # last visits, so the month-end report and a rerun find them billed)
        if weekday in (0, 3) or day == quarter_end + timedelta(days=1):
            run("claims_submission", f"claims_submission {day}", {"as_of": _at(day, 7).isoformat()})
            sandbox(_at(day, 8), f"sandbox {day}: 999 + 277CA")
        if day in statement_days:                  # 09:00
            run("patient_statements", f"patient_statements {day}",
                {"as_of": _at(day, 9).isoformat(), "demo_guarantors": statement_days[day]})
        if weekday == 4:                           # Friday: what came back this week
            sandbox(_at(day, 16), f"sandbox {day}: payers answer")
            at = _at(day, 17)
            run("clearinghouse_responses", f"clearinghouse_responses {day}", {"as_of": at.isoformat()})
            for dag_id, conf, idle in (("remittance_posting", {"as_of": _at(day, 17, 30).isoformat()}, "no new 835"),
                                       ("denial_management", {"demo_auto_correct": True,
                                                              "as_of": _at(day, 18).isoformat()}, "nothing posted")):
                if scheduler.run_if_due(live, dag_id, _at(day, 18), f"{dag_id} {day}", conf, idle=idle, quiet=True):
                    week[dag_id] += 1
        # the reports read the day before, after the day's other runs (so the demo's summary, read
        # at the end, sees what the last report saw); weekly in the quarter's last month (each run
        # costs seconds), month-end every month
        if weekday == 0 and day - timedelta(days=7) >= max(days[0], last_month):
            last_report = report(day - timedelta(days=1), "weekly")
        if day.day == 1 and day - timedelta(days=1) >= days[0]:
            last_report = report(day - timedelta(days=1), "month_end")
        if weekday == 6 or day == days[-1]:
            status = _statuses(url)
            runs = sum(v for k, v in week.items() if k in _DAG_IDS)
            detail = (f"{runs} DAG runs · 837s {week['claims_submission']} · 835s {week['835s']}"
                      f" · paid {status.get('paid', 0) + status.get('partially_paid', 0)}"
                      f" · denied {status.get('denied', 0)} · in process "
                      f"{sum(status.get(k, 0) for k in ('submitted', 'acknowledged', 'accepted'))}")
            live.tick(f"{week_start:%a %d %b} .. {day:%a %d %b}", detail)
            week.clear()
            week_start = day + timedelta(days=1)
    # the e-mail the demo ends with: the month-end report of the last whole month
    month_end = days[-1].replace(day=1) - timedelta(days=1)
    if last_report != month_end:
        live.stage(f"billing_reports: month-end {month_end}",
                   lambda: _run_dag("billing_reports", {"as_of": month_end.isoformat(), "period": "month_end"}),
                   lambda _: f"{len(list(stack.mail_dir.glob('*.eml')))} e-mail(s) in the mail sink")
    return month_end


_DAG_IDS = {"claims_submission", "clearinghouse_responses", "remittance_posting", "denial_management",
            "billing_reports", "patient_statements"}


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
