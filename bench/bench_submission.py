"""Benchmark the claims_submission DAG end to end (run: .venv/bin/python bench/bench_submission.py).

Seeds a practice of --visits visits (default 10,000, 5 % dirty) into a fresh PostgreSQL
database, starts a real OpenSSH SFTP server (the clearinghouse mailbox) and the sandbox's
real-time eligibility endpoint (in its own process), and runs the whole DAG once with dag.test(). Prints seconds per
stage (task instance start/end; a mapped stage is the sum of its instances), wall time,
claims/s, and the share of the wall time spent in pyx12 validation (timed inside send_batch
around validate_x12).

Target on the 2-core machine: under 2 minutes wall for 10,000 visits, validation included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _airflow_home(base: Path) -> Path:
    home = base / "airflow"
    home.mkdir()
    os.environ.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "GX_ANALYTICS_ENABLED": "False",
    })
    templates = sorted((ROOT / ".run" / "test").glob("airflow-template-*.db"))
    if templates:
        shutil.copy(templates[-1], home / "airflow.db")
    else:
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return home


def _fresh_database(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    from include.billing.db import migrate
    from include.devenv.postgres import database_url

    admin = database_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = urlunsplit(urlsplit(admin)._replace(path="/" + name))
    migrate(url)
    return url


def _drop_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    from include.devenv.postgres import database_url

    with psycopg.connect(database_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"eligibility endpoint did not start: {url}") from None
            time.sleep(0.2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="bench-submission-"))
    home = _airflow_home(base)
    db_name = f"bench_submission_{os.getpid()}"
    url = _fresh_database(db_name)

    import psycopg

    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice
    from tests.support.airflow_run import airflow_connections, load_dag
    from tests.support.sshd import start_sshd

    t = time.perf_counter()
    with psycopg.connect(url) as conn:
        summary = seed_practice(conn, visits=args.visits, seed=args.seed, dirty_share=0.05)
        conn.commit()
        export_roster(conn, base / "roster.json")
    seed_s = time.perf_counter() - t

    sshd = start_sshd(base / "sshd")
    for d in ("inbound", "outbound", "archive"):
        (sshd.root / d).mkdir()
    # the payer's real-time endpoint runs in its own process, as a remote payer would
    host, port = "127.0.0.1", _free_port()
    api = subprocess.Popen([sys.executable, "-c", (
        "import sys, threading; sys.path.insert(0, sys.argv[1]);"
        "from include.sandbox.eligibility import serve_eligibility_http;"
        "from include.sandbox.roster import Roster;"
        "serve_eligibility_http(Roster.load(sys.argv[2]), port=int(sys.argv[3]), user='bench', password='bench');"
        "threading.Event().wait()"), str(ROOT), str(base / "roster.json"), str(port)])
    _wait_http(f"http://{host}:{port}/health")
    os.environ.update({
        "BILLING_SFTP_INBOUND": str(sshd.root / "inbound"),
        "BILLING_SFTP_OUTBOUND": str(sshd.root / "outbound"),
        "BILLING_SFTP_ARCHIVE": str(sshd.root / "archive"),
        "BILLING_DQ_RESULTS_DIR": str(base / "dq"),
    })
    try:
        with airflow_connections(
                billing_db=url, clearinghouse_sftp=sshd.airflow_conn_json(),
                eligibility_api=json.dumps({"conn_type": "http", "host": host, "port": port,
                                            "login": "bench", "password": "bench"})):
            dag = load_dag("claims_submission")
            t = time.perf_counter()
            run = dag.test(run_conf={"eligibility_transport": "realtime"})
            wall = time.perf_counter() - t
        state = str(getattr(run.state, "value", run.state))
        stages: dict[str, float] = {}
        instances: dict[str, int] = {}
        for ti in run.get_task_instances():
            if ti.start_date and ti.end_date:
                stages[ti.task_id] = stages.get(ti.task_id, 0.0) + (ti.end_date - ti.start_date).total_seconds()
                instances[ti.task_id] = instances.get(ti.task_id, 0) + 1
        validate = build = 0.0
        with sqlite3.connect(home / "airflow.db") as meta:
            for (value,) in meta.execute("SELECT value FROM xcom WHERE dag_id = 'claims_submission' "
                                         "AND task_id = 'send_batch' AND key = 'return_value' AND run_id = ?", (run.run_id,)):
                doc = json.loads(value) if isinstance(value, (str, bytes)) else value
                if isinstance(doc, str):
                    doc = json.loads(doc)
                validate += float(doc.get("validate_seconds") or 0)
                build += float(doc.get("build_seconds") or 0)
        with psycopg.connect(url) as conn:
            submitted = conn.execute("SELECT count(*) FROM billing.claims WHERE status = 'submitted'").fetchone()[0]
            held = conn.execute("SELECT count(*) FROM billing.claims WHERE status = 'held'").fetchone()[0]
            files = conn.execute("SELECT count(*) FROM billing.submission_batches WHERE state = 'uploaded'").fetchone()[0]
    finally:
        api.terminate()
        api.wait(10)
        sshd.stop()
        if not args.keep:
            _drop_database(db_name)
        shutil.rmtree(base, ignore_errors=True)

    print(f"claims_submission benchmark: {args.visits:,} visits (seed {args.seed}, 5 % dirty), "
          f"completed {summary.completed:,}; seeding took {seed_s:.1f} s (not counted)")
    print(f"DAG run state: {state}")
    print(f"{'stage':<16}{'seconds':>9}  instances")
    order = ["pick_up_visits", "build_claims", "data_quality", "eligibility", "scrub", "plan_batches", "send_batch"]
    for task_id in order:
        if task_id in stages:
            print(f"{task_id:<16}{stages[task_id]:>9.2f}  {instances[task_id]}")
    print(f"{'sum of stages':<16}{sum(stages.values()):>9.2f}")
    print(f"{'wall (dag.test)':<16}{wall:>9.2f}   target < 120 s: {'met' if wall < 120 else 'MISSED'}")
    print(f"claims submitted {submitted:,} in {files} file(s), held {held:,}; "
          f"{submitted / wall:,.0f} claims/s over the wall time")
    print(f"pyx12 validation {validate:.2f} s = {validate / wall:.1%} of wall "
          f"({validate / max(stages.get('send_batch', 0), 1e-9):.1%} of send_batch); 837P build {build:.2f} s")
    return 0 if state == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
