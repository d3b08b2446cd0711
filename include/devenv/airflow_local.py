"""`make airflow`: Airflow's UI on this machine with the DAGs, connections and sandbox wired.

Starts the local stack (PostgreSQL, sandbox clearinghouse, mail sink), seeds the practice
if the database is empty, then runs `airflow standalone` (api-server, scheduler,
dag-processor, triggerer) with the project's dags/ and plugins/. Prints the URL and the
login. Ctrl-C stops everything. Everything listens on 127.0.0.1 only.

BILLING_AIRFLOW_PORT (default 8080) picks the port. The local `admin` user's password is
random, made on the first run and kept in `.run/airflow-ui/admin-password` (0600); it is
printed only when it is made. BILLING_AIRFLOW_PASSWORD chooses one instead.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from include.devenv.paths import PROJECT_ROOT, run_dir, sub_dir

SCENARIO = PROJECT_ROOT / "include" / "sandbox" / "scenarios" / "default.yaml"


def standalone_env(stack, port: int, password: str) -> dict[str, str]:
    """Environment for `airflow standalone`: the stack's connections plus a known local login."""
    home = stack.airflow_home
    passwords = home / "simple_auth_manager_passwords.json"
    passwords.parent.mkdir(parents=True, exist_ok=True)
    _write_private(passwords, json.dumps({"admin": password}))
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        **stack.airflow_env(),
        # `airflow standalone` starts its parts as `airflow ...` subprocesses
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__CORE__XCOM_BACKEND": "include.xcom_guard.PathRefusingXCom",
    }


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by this user only, from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def local_password(home: Path) -> tuple[str, bool]:
    """The local `admin` password and whether it was made just now.

    BILLING_AIRFLOW_PASSWORD when set; otherwise the one kept in `home/admin-password`,
    made (random, 0600) on the first run.
    """
    chosen = os.environ.get("BILLING_AIRFLOW_PASSWORD")
    if chosen:
        return chosen, False
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = home / "admin-password"
    if path.exists():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(18)
    _write_private(path, password + "\n")
    return password, True


def wait_for_api(port: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"Airflow's API server did not answer on port {port} within {timeout:.0f} s")


def start_local_airflow(port: int, password: str, visits: int = 500):
    """Start stack + `airflow standalone`; return (stack, standalone process)."""
    from include.billing.db import connect, migrate
    from include.devenv.mailsink import start_mail_sink
    from include.devenv.postgres import database_url
    from include.devenv.stack import LocalStack, airflow_db_migrate, start_clearinghouse
    from include.practice.roster import export_roster
    from include.practice.seed import ensure_practice

    url = database_url()
    migrate(url)
    with connect(url) as conn:
        ensure_practice(conn, visits=visits, seed=7)
        conn.commit()
        roster_path = sub_dir("sandbox") / "roster.json"
        export_roster(conn, roster_path)
    clearinghouse, reach = start_clearinghouse(roster_path, SCENARIO, loop=True)
    mail = None
    try:
        mail = start_mail_sink(sub_dir("mail"))
        stack = LocalStack(
            database_url=url, clearinghouse_root=reach["root"], roster_path=roster_path, scenario_path=SCENARIO,
            sftp_port=reach["sftp_port"], http_port=reach["http_port"], host_public_key=reach["host_public_key"],
            client_key=reach["client_key"], smtp_port=mail.port, mail_dir=sub_dir("mail"),
            airflow_home=run_dir() / "airflow-ui", processes=[clearinghouse], mail_controller=mail,
        )
        env = standalone_env(stack, port, password)
        airflow_db_migrate(env)
        log = open(sub_dir("logs") / "airflow-standalone.log", "ab")
        standalone = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), "standalone"], env=env,
                                      cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except BaseException:
        # nothing started here may outlive a failed start
        clearinghouse.terminate()
        clearinghouse.wait(timeout=10)
        if mail is not None:
            mail.stop()
        raise
    stack.processes.insert(0, standalone)
    return stack, standalone


def stop_standalone(standalone: subprocess.Popen, grace: float = 60) -> None:
    """Stop `airflow standalone` and everything it started (its own process group).

    SIGTERM first; whatever is still alive after the grace period (a scheduler finishing up,
    LocalExecutor workers) gets SIGKILL, so nothing outlives the command.
    """
    try:
        os.killpg(standalone.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        standalone.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(standalone.pid, 0)          # anyone left in the group?
        except ProcessLookupError:
            return
        time.sleep(0.5)
    try:
        os.killpg(standalone.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main() -> int:
    port = int(os.environ.get("BILLING_AIRFLOW_PORT", "8080"))
    password_file = run_dir() / "airflow-ui" / "admin-password"
    password, made = local_password(password_file.parent)
    print("starting PostgreSQL, the sandbox clearinghouse, the mail sink and airflow standalone…", flush=True)
    stack, standalone = start_local_airflow(port, password)
    try:
        wait_for_api(port)
        login = (f"admin / {password}   (made now; kept in {password_file}, shown only this once)" if made
                 else f"admin, password in {password_file}" if not os.environ.get("BILLING_AIRFLOW_PASSWORD")
                 else "admin / $BILLING_AIRFLOW_PASSWORD")
        print(f"\nAirflow UI:  http://127.0.0.1:{port}\nlogin:       {login}\n"
              f"mail sink:   {stack.mail_dir}\nclearinghouse mailbox: {stack.clearinghouse_root}\n"
              "Ctrl-C stops everything.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        stop_standalone(standalone)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
