"""The revenue cycle on the CeleryExecutor, through the scheduler, on two workers with their own disks.

What `make airflow EXECUTOR=celery` starts (include.devenv.celery_local): Redis, a fresh
PostgreSQL metadata database, the scheduler, the dag-processor, the api-server and two
`airflow celery worker`s, each with its own working directory, BILLING_RUN_DIR and TMPDIR.
The sandbox clearinghouse (SFTP + eligibility HTTP) and a mail sink stand in for the outside.

The cycle is triggered through the REST API; the scheduler runs the rest on the Assets
(posting → denials → resubmission → responses). The same cycle runs single-process with
dag.test() on a copy of the same seeded practice, with the Asset consumers run the way the
scheduler runs them (tests below: `_reference_run`). Checks:

- mapped send_batch tasks ran on both workers (the task instances' hostnames);
- the ledger (tests/support/ledger_state.py), the clearinghouse's files and the sent mail equal
  the single-process run's;
- report attachments and appeal letters are readable from the Billing UI (api-server, its own
  disk), and the letters were written on a worker's disk, not the api-server's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.support.ledger_state import billing_state, differences
from tests.support.local_airflow import api, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "include" / "sandbox" / "scenarios" / "default.yaml"
VISITS = 150
SEED = 20261201
PASSWORD = secrets.token_urlsafe(16)   # the local admin of this run only
DAG_IDS = ("claims_submission", "clearinghouse_responses", "remittance_posting", "denial_management",
           "billing_reports")
NEVER = "0 0 31 12 *"          # the crons stay out of the way: only triggers and Assets start runs


def _schedules() -> dict[str, str]:
    return {"BILLING_SUBMISSION_SCHEDULE": NEVER, "BILLING_RESPONSES_SCHEDULE": NEVER,
            "BILLING_POSTING_SCHEDULE": NEVER, "BILLING_DENIALS_SCHEDULE": NEVER,
            "BILLING_REPORT_SCHEDULE": NEVER,
            "BILLING_APPEAL_PDF": "0"}


def _clone(db_url: str, admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        src = urlsplit(db_url).path.lstrip("/")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(src)))
    return urlunsplit(urlsplit(db_url)._replace(path="/" + name))


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Outside:
    """The sandbox clearinghouse and the mail sink of one run, in its own run folder."""

    def __init__(self, run_dir: Path, roster: Path, db_url: str, monkeypatch):
        from include.devenv.mailsink import start_mail_sink
        from include.devenv.stack import LocalStack, start_clearinghouse
        from include.sandbox import Clearinghouse, Roster, Scenario

        monkeypatch.setenv("BILLING_RUN_DIR", str(run_dir))
        process, reach = start_clearinghouse(roster, SCENARIO, loop=False)
        self.mail_dir = run_dir / "mail"
        try:
            mail = start_mail_sink(self.mail_dir)
        except BaseException:
            process.terminate()
            raise
        self.stack = LocalStack(
            database_url=db_url, clearinghouse_root=reach["root"], roster_path=roster, scenario_path=SCENARIO,
            sftp_port=reach["sftp_port"], http_port=reach["http_port"], host_public_key=reach["host_public_key"],
            client_key=reach["client_key"], smtp_port=mail.port, mail_dir=self.mail_dir,
            airflow_home=run_dir / "airflow", processes=[process], mail_controller=mail)
        self.clearinghouse = Clearinghouse(reach["root"], Scenario.load(SCENARIO), Roster.load(roster))


def _cycle(run, clearinghouse, t0: dt.datetime) -> None:
    """The revenue cycle; `run(dag_id, conf)` runs a DAG and whatever its Assets start."""
    later = t0 + dt.timedelta(days=clearinghouse.scenario.adjudication_delay_days)
    run("claims_submission", {"max_claims_per_file": 6})
    clearinghouse.process(now=t0)
    run("clearinghouse_responses", {"as_of": t0.isoformat()})
    clearinghouse.process(now=later)
    # → remittance_posting → denial_management → claims_submission → clearinghouse_responses, on Assets
    run("clearinghouse_responses", {"as_of": later.isoformat()})
    run("billing_reports", {"as_of": later.date().isoformat(), "period": "daily"})


# --- single process: dag.test(), the Assets' consumers run as the scheduler would run them ----

def _consumers() -> dict[str, list[str]]:
    from include.assets import uris_of
    from include.devenv.dags import load_dag

    out: dict[str, list[str]] = {}
    for dag_id in DAG_IDS:
        for uri in uris_of(getattr(load_dag(dag_id).timetable, "asset_condition", None)):
            out.setdefault(uri, []).append(dag_id)
    return out


def _reference_run(outside: Outside, t0: dt.datetime, monkeypatch) -> Counter:
    """The cycle with dag.test(); returns the number of runs per DAG."""
    from include.devenv.dags import load_dag
    from tests.support.airflow_run import run_dag

    for key, value in {**_schedules(), **outside.stack.airflow_env()}.items():
        if key.startswith("AIRFLOW_CONN_") or key.startswith("AIRFLOW_VAR_") or key.startswith("BILLING_"):
            monkeypatch.setenv(key, value)
    consumers = _consumers()
    runs: Counter = Counter()

    def run(dag_id: str, conf: dict) -> None:
        pending = [(dag_id, conf)]
        while pending:
            current, current_conf = pending.pop(0)
            dag_run = run_dag(load_dag(current), conf=current_conf)
            runs[current] += 1
            for ti in dag_run.get_task_instances():
                if ti.task_id.startswith("emit_") and str(getattr(ti.state, "value", ti.state)) == "success":
                    task = load_dag(current).get_task(ti.task_id)
                    for outlet in task.outlets:
                        for consumer in consumers.get(outlet.uri, []):
                            if (consumer, {}) not in pending:
                                pending.append((consumer, {}))

    _cycle(run, outside.clearinghouse, t0)
    return runs


# --- the Celery cluster: REST triggers, the scheduler does the rest --------------------------

class Cluster:
    def __init__(self, port: int):
        self.port = port
        self.token = sign_in(port, PASSWORD)

    def get(self, path: str):
        return api(self.port, "GET", path, self.token)

    def wait_for_dags(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while True:
            found = {d["dag_id"] for d in self.get("/api/v2/dags?limit=100")["dags"]}
            if set(DAG_IDS) <= found:
                break
            assert time.monotonic() < deadline, f"the dag-processor parsed only {sorted(found)}"
            time.sleep(3)
        assert self.get("/api/v2/importErrors")["total_entries"] == 0
        for dag_id in DAG_IDS:
            api(self.port, "PATCH", f"/api/v2/dags/{dag_id}", self.token, {"is_paused": False})

    def _busy(self) -> list[str]:
        runs = self.get("/api/v2/dags/~/dagRuns?state=queued&state=running&limit=50")["dag_runs"]
        busy = [f"{r['dag_id']}:{r['state']}" for r in runs]
        for dag_id in DAG_IDS:
            try:
                queued = self.get(f"/api/v2/dags/{dag_id}/assets/queuedEvents")
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    continue
                raise
            if queued.get("total_entries"):
                busy.append(f"{dag_id}: queued asset events")
        return busy

    def settle(self, timeout: float = 600) -> None:
        """Wait until no run is queued or running and no Asset event waits for a run (3 quiet polls)."""
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 3:
            busy = self._busy()
            quiet = 0 if busy else quiet + 1
            assert time.monotonic() < deadline, f"still busy after {timeout:.0f} s: {busy}"
            time.sleep(3)
        failed = self.get("/api/v2/dags/~/dagRuns?state=failed&limit=50")["dag_runs"]
        assert failed == [], [f"{r['dag_id']} {r['dag_run_id']}" for r in failed]

    def run(self, dag_id: str, conf: dict) -> None:
        self.settle()
        run = api(self.port, "POST", f"/api/v2/dags/{dag_id}/dagRuns", self.token, {"logical_date": None, "conf": conf})
        path = f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run['dag_run_id'])}"
        deadline = time.monotonic() + 600
        state = run["state"]
        while state not in ("success", "failed"):
            assert time.monotonic() < deadline, f"{dag_id} {run['dag_run_id']} still {state}"
            time.sleep(3)
            state = self.get(path)["state"]
        assert state == "success", f"{dag_id} run {run['dag_run_id']} ended {state}"
        self.settle()


# --- comparisons ----------------------------------------------------------------------------------

def _x12_files(root: Path) -> dict[str, list[bytes]]:
    """The mailbox's X12 files by folder/name, as segments; the envelopes and BHT (the sender's
    clock: ours is the real one) reduced to their tags."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data.startswith(b"ISA"):
            segments = [seg.strip() for seg in data.split(data[105:106]) if seg.strip()]   # ISA16 ends at 105
            out[str(path.relative_to(root))] = [seg.split(b"*", 1)[0] if seg[:4] in (b"ISA*", b"BHT*", b"IEA*")
                                                or seg[:3] in (b"GS*", b"GE*") else seg for seg in segments]
    return out


def _mail(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        attachments = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
        out.append({"subject": msg["Subject"], "to": msg["To"],
                    "attachments": sorted(attachments),
                    "csv": {k: _csv_rows(v) for k, v in attachments.items() if k.endswith(".csv")}})
    return sorted(out, key=lambda m: m["subject"])


def _csv_rows(data: bytes) -> list[dict]:
    """A CSV attachment's rows without the `*_at` and `*_age_days` columns: when a claim was
    submitted, a payment posted or a work item opened is the real clock of each run (the simulated
    clock moves on with it, so the two runs' ages differ by the minutes between them and may round
    to another tenth of a day), not the outcome."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    return [{k: v for k, v in row.items() if not k.endswith(("_at", "_age_days"))} for row in rows]


def _comparable(state: dict) -> dict:
    """billing_state without what names this run's servers: a real-time 270/271's origin is the
    eligibility endpoint's URL (its port); the bytes of the files are compared by `_x12_files`."""
    edi = sorted((direction, kind, name, partner, state, error)
                 for direction, kind, name, _sha, _size, _origin, partner, state, error in state["edi_files"])
    return {**state, "edi_files": edi}


def test_revenue_cycle_on_two_celery_workers(db_url, pg_admin_url, tmp_path, monkeypatch, airflow_home):
    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice

    with psycopg.connect(db_url) as conn:
        seed_practice(conn, visits=VISITS, seed=SEED, dirty_share=0.05)
        conn.commit()
        export_roster(conn, tmp_path / "roster.json")
    ref_name = urlsplit(db_url).path.lstrip("/") + "_ref"
    ref_url = _clone(db_url, pg_admin_url, ref_name)
    t0 = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)

    try:
        _reference_and_celery_runs(db_url, ref_url, pg_admin_url, tmp_path, monkeypatch, t0)
    finally:
        _drop(pg_admin_url, ref_name)


def _reference_and_celery_runs(db_url, ref_url, pg_admin_url, tmp_path, monkeypatch, t0) -> None:
    from include.devenv.celery_local import start_celery_airflow
    from include.devenv.stack import free_port

    # 1. the single-process reference
    ref = Outside(tmp_path / "ref-run", tmp_path / "roster.json", ref_url, monkeypatch)
    try:
        expected_runs = _reference_run(ref, t0, monkeypatch)
    finally:
        ref.stack.stop()

    # 2. the same cycle on the CeleryExecutor
    outside = Outside(tmp_path / "celery-run", tmp_path / "roster.json", db_url, monkeypatch)
    port = free_port()
    cluster_dir = tmp_path / "cluster"
    cluster = None
    try:
        cluster = start_celery_airflow({**outside.stack.airflow_env(), **_schedules()}, root=cluster_dir, port=port,
                                       password=PASSWORD, admin_url=pg_admin_url, workers=2, concurrency=1)
        client = Cluster(port)
        client.wait_for_dags()
        _cycle(client.run, outside.clearinghouse, t0)

        # mapped send_batch tasks ran on both workers
        with psycopg.connect(cluster.metadata_url) as meta:
            hosts = meta.execute("""SELECT hostname, count(*) FROM task_instance
                                    WHERE dag_id = 'claims_submission' AND task_id = 'send_batch'
                                      AND map_index >= 0 AND state = 'success' GROUP BY 1""").fetchall()
            runs = dict(meta.execute("SELECT dag_id, count(*) FROM dag_run GROUP BY 1").fetchall())
        assert {h for h, _ in hosts} == {"worker-1", "worker-2"}, hosts
        # Assets started posting, denials, the resubmission exactly as often as in the reference
        assert runs == dict(expected_runs) and runs["denial_management"] == 1, (runs, expected_runs)

        # the same ledger, clearinghouse files and mail as the single-process run
        assert differences(_comparable(billing_state(ref_url)), _comparable(billing_state(db_url))) == {}
        assert _x12_files(outside.stack.clearinghouse_root) == _x12_files(ref.stack.clearinghouse_root)
        sent, expected_mail = _mail(outside.mail_dir), _mail(ref.mail_dir)
        assert sent == expected_mail and len(sent) == 1

        # the Billing UI (api-server, its own disk) reads the report's attachments from the store
        reports_page = api_text(port, "/billing/reports", client.token)
        links = dict((name, int(i)) for i, name in re.findall(r'href="/billing/artefacts/(\d+)">([^<]+)<', reports_page))
        message = message_from_bytes(sorted(outside.mail_dir.glob("*.eml"))[0].read_bytes(), policy=policy.default)
        for part in message.iter_attachments():
            assert api_bytes(port, f"/billing/artefacts/{links[part.get_filename()]}", client.token) == \
                part.get_payload(decode=True), part.get_filename()

        # appeal letters: written on a worker's disk, read by the UI from the store
        with psycopg.connect(db_url) as conn:
            letters = conn.execute("""SELECT a.id, a.name, a.content, a.work_item_id, a.dag_id, a.task_id
                                      FROM billing.artefacts a WHERE a.kind = 'appeal_letter'""").fetchall()
        assert letters, "the cycle produced no appeal letter"
        api_dir = cluster_dir / "api-server"
        for artefact_id, name, content, item_id, dag_id, task_id in letters:
            assert (dag_id, task_id) == ("denial_management", "route_denials")
            on_workers = [w for w, d in cluster.worker_dirs.items() if (d / "run" / "appeals" / name).exists()]
            assert len(on_workers) == 1 and not list(api_dir.rglob(name)), name
            assert api_bytes(port, f"/billing/artefacts/{artefact_id}", client.token) == bytes(content)
            page = api_text(port, f"/billing/items/{item_id}", client.token)
            assert f'href="/billing/artefacts/{artefact_id}"' in page

        # the UI's link to a task log: a send_batch log is only on its worker's disk, and the
        # api-server reads it from that worker's log server
        _assert_task_log_served_by_its_worker(cluster, client, cluster_dir)
    finally:
        if cluster is not None:
            cluster.stop()
        outside.stack.stop()


def _assert_task_log_served_by_its_worker(cluster, client, cluster_dir: Path) -> None:
    import json

    with psycopg.connect(cluster.metadata_url) as meta:
        run_id, map_index, host, try_number = meta.execute(
            """SELECT run_id, map_index, hostname, try_number FROM task_instance
                WHERE dag_id = 'claims_submission' AND task_id = 'send_batch' AND map_index >= 0
                  AND state = 'success' ORDER BY hostname, map_index LIMIT 1""").fetchone()
    on_worker = [p for p in (cluster.worker_dirs[host] / "task-logs").rglob(f"attempt={try_number}.log")
                 if f"task_id=send_batch{os.sep}map_index={map_index}{os.sep}" in str(p) and run_id in str(p)]
    assert len(on_worker) == 1, on_worker
    assert not [p for p in (cluster_dir / "airflow-home").rglob("*.log") if "task_id=send_batch" in str(p)]
    first_event = json.loads(on_worker[0].read_text().splitlines()[0])["event"]
    served = client.get(f"/api/v2/dags/claims_submission/dagRuns/{urllib.parse.quote(run_id, safe='')}"
                        f"/taskInstances/send_batch/logs/{try_number}?map_index={map_index}")
    text = json.dumps(served)
    assert f"127.0.0.1:{cluster.worker_log_ports[host]}/log/" in text, text[:2000]
    assert first_event in text and "Could not read served logs" not in text, text[:2000]


def api_bytes(port: int, path: str, token: str) -> bytes:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def api_text(port: int, path: str, token: str) -> str:
    return api_bytes(port, path, token).decode()

