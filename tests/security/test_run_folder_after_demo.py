"""After `make demo`, nothing in the run folder is open to group or others: the 837Ps in the
clearinghouse's mailbox and archive, the 835s, the reports, the appeal letters, the e-mails,
Airflow's home and logs. The demo runs with the permissive umask most shells start with, and its
DAG tasks connect as the app role (billing_app_login)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]


def test_every_file_the_demo_leaves_is_0600_and_every_folder_0700(tmp_path, db_url):
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(BILLING_RUN_DIR=str(run), BILLING_DATABASE_URL=db_url, BILLING_DEMO_VISITS="60")
    result = subprocess.run(["bash", "-c", f"umask 022 && exec {sys.executable} -m include.devenv.demo"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    seen, open_to_others = {"files": 0, "folders": 0}, []
    for path in [run, *run.rglob("*")]:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            open_to_others.append(f"{path}: a symbolic link")
            continue
        kind = "folders" if stat.S_ISDIR(st.st_mode) else "files"
        seen[kind] += 1
        if stat.S_IMODE(st.st_mode) & 0o077:
            open_to_others.append(f"{path.relative_to(run)}: {oct(stat.S_IMODE(st.st_mode))}")
    # the walk saw what holds PHI: 837Ps at the clearinghouse, reports, the e-mail
    names = [p.name for p in run.rglob("*")]
    assert any(n.startswith("837P_") for n in names) and any(n.endswith(".eml") for n in names)
    assert any(n.endswith(".html") for n in names)
    print(f"\nRUN FOLDER WALK: {seen['files']} files, {seen['folders']} folders, {len(open_to_others)} open")
    assert open_to_others == []
    # the demo's DAG tasks ran as the app role: their work-item changes carry it in the change log
    import psycopg

    with psycopg.connect(db_url) as conn:
        roles = dict(conn.execute("SELECT db_role, count(*) FROM billing.change_log WHERE actor LIKE 'dag:%%' "
                                  "GROUP BY db_role").fetchall())
    assert set(roles) == {"billing_app_login"}, roles
    # and the payments they posted say which task and run wrote them
    with psycopg.connect(db_url) as conn:
        writers = conn.execute("SELECT DISTINCT recorded_by, recorded_run IS NOT NULL FROM billing.claim_payments"
                               ).fetchall()
    assert writers and all(by.startswith("dag:remittance_posting.") and has_run for by, has_run in writers), writers
