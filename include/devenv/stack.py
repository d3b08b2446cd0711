"""The local stack `make demo` and `make airflow` stand up, all under `.run/`.

- PostgreSQL: `BILLING_DATABASE_URL`, or the private server in `.run/pg`;
- the sandbox clearinghouse: an asyncssh SFTP server (and the real-time eligibility HTTP
  endpoint) serving the mailbox `.run/clearinghouse`, host key in `.run/sandbox-keys`;
- a mail sink that stores every message as an `.eml` file in `.run/mail`;
- an Airflow home in `.run/airflow` with a SQLite metadata database (absolute path).

Connections reach Airflow as `AIRFLOW_CONN_*` environment variables, so nothing secret is
written into the Airflow database and the same names work in docker-compose.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from include.devenv.paths import PROJECT_ROOT, run_dir, sub_dir

SANDBOX_USER = "practice"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}; see its log under .run/")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


@dataclass
class LocalStack:
    database_url: str
    clearinghouse_root: Path
    roster_path: Path
    scenario_path: Path
    sftp_port: int
    http_port: int
    host_public_key: str
    client_key: Path
    smtp_port: int
    mail_dir: Path
    airflow_home: Path
    processes: list = field(default_factory=list)
    mail_controller: object | None = None

    def app_database_url(self) -> str:
        if not getattr(self, "_app_url", None):
            from include.billing.db import ensure_app_login

            self._app_url = ensure_app_login(self.database_url)
        return self._app_url

    def connections(self) -> dict[str, str]:
        from include import dag_support

        sftp = {
            "conn_type": "sftp", "host": "127.0.0.1", "port": self.sftp_port, "login": SANDBOX_USER,
            "extra": {"key_file": str(self.client_key), "host_key": self.host_public_key,
                      "no_host_key_check": "false"},
        }
        http = {"conn_type": "http", "host": "127.0.0.1", "port": self.http_port, "schema": "http",
                "login": SANDBOX_USER, "password": "sandbox-password"}
        smtp = {"conn_type": "smtp", "host": "127.0.0.1", "port": self.smtp_port,
                "extra": {"disable_ssl": True, "disable_tls": True,
                          "from_email": "billing-reports@practice.example"}}
        return {
            # the DAGs and the UI connect as the app role (DML only, append-only audit tables)
            dag_support.BILLING_DB_CONN_ID: self.app_database_url(),
            dag_support.CLEARINGHOUSE_SFTP_CONN_ID: json.dumps(sftp),
            dag_support.ELIGIBILITY_API_CONN_ID: json.dumps(http),
            dag_support.BILLING_SMTP_CONN_ID: json.dumps(smtp),
            # the statement vendor: a folder on the sandbox's SFTP server stands in for the print house
            dag_support.STATEMENT_VENDOR_SFTP_CONN_ID: json.dumps(sftp),
        }

    def airflow_env(self) -> dict[str, str]:
        env = {
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW_VAR_BILLING_REPORT_RECIPIENTS": "billing-managers@practice.example",
            "GX_ANALYTICS_ENABLED": "False",
            "PYTHONPATH": str(PROJECT_ROOT),
            "BILLING_RUN_DIR": str(run_dir()),          # the workers' scratch folder (settings.work_dir)
        }
        for conn_id, value in self.connections().items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = value
        return env

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.mail_controller is not None:
            self.mail_controller.stop()


def _client_key(keys: Path) -> Path:
    key = keys / "client_ed25519"
    if not key.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                              serialization.NoEncryption()))
        key.chmod(0o600)
        public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                   serialization.PublicFormat.OpenSSH)
        key.with_suffix(".pub").write_bytes(public + b" practice@local\n")
    return key


def start_clearinghouse(roster_path: Path, scenario_path: Path, *, loop: bool = False) -> tuple[subprocess.Popen, dict]:
    """Start the sandbox clearinghouse server; return the process and how to reach it.

    With `loop` the server answers uploads by itself on the real clock (for the UI); the demo
    leaves it off and calls `Clearinghouse.process` on a simulated clock instead.
    """
    root = sub_dir("clearinghouse")
    keys = sub_dir("sandbox-keys")
    keys.chmod(0o700)
    client_key = _client_key(keys)
    sftp_port, http_port = free_port(), free_port()
    log = open(sub_dir("logs") / "clearinghouse.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "include.sandbox", "serve", "--root", str(root), "--port", str(sftp_port),
         "--http-port", str(http_port), "--keys", str(keys), "--user", SANDBOX_USER,
         "--password", "sandbox-password", "--authorized-key", str(client_key.with_suffix(".pub")),
         "--scenario", str(scenario_path), "--roster", str(roster_path),
         # without the loop the demo drives the sandbox itself, on a simulated clock
         *(["--interval", "5"] if loop else ["--no-loop"])],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    _wait_for_port(sftp_port, process, "the sandbox clearinghouse")
    _wait_for_port(http_port, process, "the sandbox eligibility endpoint")
    host_key_pub = (keys / "ssh_host_ed25519_key.pub").read_text().split()
    return process, {
        "root": root, "sftp_port": sftp_port, "http_port": http_port,
        "host_public_key": " ".join(host_key_pub[:2]), "client_key": client_key,
    }


def airflow_db_migrate(env: dict[str, str]) -> None:
    """Create or upgrade the Airflow metadata database (fast when it is current)."""
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    stamp = home / ".migrated"
    from importlib.metadata import version

    current = version("apache-airflow-core")
    if stamp.exists() and stamp.read_text() == current and (home / "airflow.db").exists():
        return
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stamp.write_text(current)
