"""`make airflow EXECUTOR=celery`: Airflow with the CeleryExecutor on this machine.

Starts, each in its own process group:

- Redis: the local one when it answers on 127.0.0.1:6379, else `redis-server` (Debian's
  package, installed by scripts/system-deps.sh) on a free port with no persistence;
- a fresh PostgreSQL metadata database on the server the ledger uses (`airflow_<name>`);
- `airflow scheduler`, `airflow dag-processor`, `airflow api-server`;
- two `airflow celery worker`s (`--celery-hostname worker-1@…`, `worker-2@…`), each with its own
  working directory, `BILLING_RUN_DIR`, `TMPDIR` and task-log folder: the only things they share
  are the databases and the broker, as on two hosts. Each serves its task logs (Airflow's worker
  log server) on a port of its own; the api-server reads them there (include.devenv.worker_logs),
  so the UI's link to a task log works although the log is only on the worker's disk.

Tasks go to a queue of this cluster's own (`billing-<id>`), so two clusters sharing the local
Redis never take each other's tasks. The task instances' hostname is the worker's name
(`[core] hostname_callable` = `worker_hostname`), which is how a test sees where a task ran.
`stop()` ends every process group (SIGTERM, then SIGKILL), a Redis it started, and drops the
metadata database.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from include.devenv.paths import PROJECT_ROOT

LOCAL_REDIS = ("127.0.0.1", 6379)


def worker_hostname() -> str:
    """`[core] hostname_callable` of the workers: the name this cluster gave the worker."""
    return os.environ.get("BILLING_WORKER_HOSTNAME") or socket.getfqdn()


def redis_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str, interval: float = 0.5, processes: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in (processes or {}).items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} while waiting for {what}")
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after `grace` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        proc.poll()
        time.sleep(0.3)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@dataclass
class CeleryAirflow:
    """What `start_celery_airflow` started; `stop()` ends all of it."""

    root: Path
    port: int
    queue: str
    broker_url: str
    metadata_url: str
    admin_url: str
    metadata_db: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    worker_dirs: dict[str, Path] = field(default_factory=dict)
    worker_log_ports: dict[str, int] = field(default_factory=dict)   # each worker's log server
    redis: subprocess.Popen | None = None

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            stop_group(self.processes[name])
        if self.redis is not None:
            stop_group(self.redis, grace=5)
        try:
            import psycopg
            from psycopg import sql

            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.metadata_db)))
        except Exception as exc:  # noqa: BLE001 - cleanup goes on; the database name is printed
            print(f"metadata database {self.metadata_db} not dropped: {exc}", file=sys.stderr)

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"


def _redis(root: Path) -> tuple[str, subprocess.Popen | None]:
    """The broker URL: the local Redis, or a private `redis-server` this call starts."""
    if redis_answers(*LOCAL_REDIS):
        return f"redis://{LOCAL_REDIS[0]}:{LOCAL_REDIS[1]}/0", None
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("no Redis on 127.0.0.1:6379 and no redis-server: run `make system-deps` "
                           "(apt-get install redis-server)")
    port = _free_port()
    (root / "redis").mkdir(parents=True, exist_ok=True)
    log = open(root / "logs" / "redis.log", "ab")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(root / "redis")], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        _wait(lambda: redis_answers("127.0.0.1", port), 30, "redis-server answering", processes={"redis": proc})
    except BaseException:
        stop_group(proc, grace=5)
        raise
    return f"redis://127.0.0.1:{port}/0", proc


def base_env(stack_env: dict[str, str], *, home: Path, port: int, password_file: Path, metadata_url: str,
             broker_url: str, queue: str) -> dict[str, str]:
    """Environment every Airflow process of the cluster shares."""
    sqlalchemy_url = metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("AIRFLOW__") or k.startswith("AIRFLOW_CONN_") or k == "AIRFLOW_HOME")}
    env.update(stack_env)
    env.update({
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sqlalchemy_url,
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(password_file),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__XCOM_BACKEND": "include.xcom_guard.PathRefusingXCom",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    return env


def start_celery_airflow(stack_env: dict[str, str], *, root: Path, port: int, password: str, admin_url: str,
                         workers: int = 2, concurrency: int = 2, name: str | None = None,
                         extra_env: dict[str, str] | None = None, timeout: float = 420) -> CeleryAirflow:
    """Start the cluster and wait until the API answers and every worker is ready."""
    import psycopg
    from psycopg import sql

    name = name or f"celery_{os.getpid()}_{secrets.token_hex(3)}"
    root.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    home = root / "airflow-home"
    home.mkdir(exist_ok=True)
    password_file = home / "simple_auth_manager_passwords.json"
    password_file.write_text(json.dumps({"admin": password}))
    password_file.chmod(0o600)

    broker_url, redis_proc = _redis(root)
    metadata_db = f"airflow_{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(metadata_db)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(metadata_db)))
    metadata_url = _with_db(admin_url, metadata_db)
    queue = f"billing-{name}"
    env = base_env(stack_env, home=home, port=port, password_file=password_file, metadata_url=metadata_url,
                   broker_url=broker_url, queue=queue)
    env.update(extra_env or {})
    cluster = CeleryAirflow(root=root, port=port, queue=queue, broker_url=broker_url, metadata_url=metadata_url,
                            admin_url=admin_url, metadata_db=metadata_db, env=env, redis=redis_proc)
    airflow = str(Path(sys.executable).parent / "airflow")
    try:
        subprocess.run([airflow, "db", "migrate"], env=env, cwd=root, check=True, timeout=timeout,
                       stdout=open(cluster.log("db-migrate"), "ab"), stderr=subprocess.STDOUT)

        def spawn(proc_name: str, args: list[str], cwd: Path, proc_env: dict[str, str]) -> None:
            cwd.mkdir(parents=True, exist_ok=True)
            cluster.processes[proc_name] = subprocess.Popen(
                [airflow, *args], env=proc_env, cwd=cwd, stdout=open(cluster.log(proc_name), "ab"),
                stderr=subprocess.STDOUT, start_new_session=True)

        # each worker serves its own task logs on a port of its own; the api-server finds it by
        # the worker's name (include.devenv.worker_logs), so the UI's task-log links work
        cluster.worker_log_ports = {f"worker-{n}": _free_port() for n in range(1, workers + 1)}
        api_dir = root / "api-server"
        spawn("api-server", ["api-server", "--port", str(port), "--workers", "1"], api_dir,
              {**env, "BILLING_RUN_DIR": str(api_dir / "run"), "TMPDIR": str(_mk(api_dir / "tmp")),
               "AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS": "include.devenv.worker_logs.LOGGING_CONFIG",
               "BILLING_WORKER_LOG_PORTS": json.dumps(cluster.worker_log_ports)})
        spawn("scheduler", ["scheduler"], root / "scheduler", env)
        spawn("dag-processor", ["dag-processor"], root / "dag-processor", env)
        for n in range(1, workers + 1):
            wname = f"worker-{n}"
            wdir = root / wname
            cluster.worker_dirs[wname] = wdir
            spawn(wname, ["celery", "worker", "--queues", queue, "--concurrency", str(concurrency),
                          "--celery-hostname", f"{wname}@{name}"], wdir, {
                **env,
                "BILLING_RUN_DIR": str(wdir / "run"),
                "TMPDIR": str(_mk(wdir / "tmp")),
                "BILLING_WORKER_HOSTNAME": wname,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.devenv.celery_local.worker_hostname",
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(wdir / "task-logs"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(cluster.worker_log_ports[wname]),
            })
        from include.devenv.airflow_local import wait_for_api

        deadline = time.monotonic() + timeout
        wait_for_api(port, timeout=max(30.0, deadline - time.monotonic()))
        for n in range(1, workers + 1):      # celery logs "<hostname> ready." when it takes tasks
            log = cluster.log(f"worker-{n}")
            _wait(lambda log=log: b" ready." in log.read_bytes(), max(30.0, deadline - time.monotonic()),
                  f"worker-{n} ready", processes=cluster.processes)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main() -> int:
    """`make airflow EXECUTOR=celery`: the local stack plus the Celery cluster; Ctrl-C stops it."""
    from include.billing.db import connect, migrate
    from include.devenv.airflow_local import SCENARIO
    from include.devenv.mailsink import start_mail_sink
    from include.devenv.paths import run_dir, sub_dir
    from include.devenv.postgres import database_url
    from include.devenv.stack import LocalStack, start_clearinghouse
    from include.practice.roster import export_roster
    from include.practice.seed import ensure_practice

    port = int(os.environ.get("BILLING_AIRFLOW_PORT", "8080"))
    password = os.environ.get("BILLING_AIRFLOW_PASSWORD", "admin")
    url = database_url()
    migrate(url)
    with connect(url) as conn:
        ensure_practice(conn, visits=500, seed=7)
        conn.commit()
        roster_path = sub_dir("sandbox") / "roster.json"
        export_roster(conn, roster_path)
    print("starting the sandbox clearinghouse, the mail sink, Redis, the scheduler, the dag-processor, "
          "the api-server and two Celery workers…", flush=True)
    clearinghouse, reach = start_clearinghouse(roster_path, SCENARIO, loop=True)
    mail = start_mail_sink(sub_dir("mail"))
    stack = LocalStack(
        database_url=url, clearinghouse_root=reach["root"], roster_path=roster_path, scenario_path=SCENARIO,
        sftp_port=reach["sftp_port"], http_port=reach["http_port"], host_public_key=reach["host_public_key"],
        client_key=reach["client_key"], smtp_port=mail.port, mail_dir=sub_dir("mail"),
        airflow_home=run_dir() / "airflow-celery", processes=[clearinghouse], mail_controller=mail)
    cluster = None
    try:
        admin = _with_db(url, urlsplit(url).path.lstrip("/") or "postgres")
        cluster = start_celery_airflow(stack.airflow_env(), root=run_dir() / "celery", port=port, password=password,
                                       admin_url=admin, name="local")
        print(f"\nAirflow UI:  http://127.0.0.1:{port}\nlogin:       admin / {password}\n"
              f"broker:      {cluster.broker_url} (queue {cluster.queue})\n"
              f"workers:     {', '.join(str(d) for d in cluster.worker_dirs.values())}\n"
              "Ctrl-C stops everything.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        if cluster is not None:
            cluster.stop()
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
