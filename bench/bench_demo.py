"""Benchmark `make demo` (run: .venv/bin/python bench/bench_demo.py [--visits N]).

Runs the demo once in a fresh run folder (its own PostgreSQL database via BILLING_DATABASE_URL
when set, else the demo's own cluster) and prints its wall time and the time of each stage
(each DAG run and each sandbox step), from the demo's summary.json, then the time per DAG: its
runs, their total and mean (the demo runs the DAGs over a simulated quarter; target: the whole
demo under 180 s on a 2-core machine).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=500)
    visits = ap.parse_args().visits
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(BILLING_RUN_DIR=str(Path(tmp) / "run"), BILLING_DEMO_VISITS=str(visits))
        url = os.environ.get("BILLING_DATABASE_URL")
        if url:   # a database of its own on the given server
            import psycopg
            from psycopg import sql

            name = f"bench_demo_{os.getpid()}"
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            env["BILLING_DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "include.devenv.demo"], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        wall = time.monotonic() - started
        if url:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 1
        summary = json.loads((Path(tmp) / "run" / "demo" / "summary.json").read_text())
    print(f"make demo, {visits} visits: {wall:.1f} s wall ({summary['elapsed_seconds']} s inside the demo), "
          f"{len(result.stdout.splitlines())} lines of output")
    per: dict[str, list[float]] = {}
    for row in summary["stages"]:
        if row.get("not_due"):
            continue
        name = row["stage"].split(":")[0].split(" ")[0]
        per.setdefault(name, []).append(row["seconds"])
    print(f"  {'stage':<26} {'runs':>5} {'total s':>8} {'mean s':>7}")
    for name, times in sorted(per.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {name:<26} {len(times):>5} {sum(times):8.1f} {sum(times) / len(times):7.2f}")
    runs = sum(summary.get("dag_runs", {}).values())
    target = "met" if wall < 180 else "NOT met"
    print(f"summary: make demo, {visits} visits over {' .. '.join(summary.get('simulated_days', []))}: "
          f"{wall:.1f} s wall, {runs} DAG runs (target < 180 s: {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
