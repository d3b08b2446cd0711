"""Fault injection for whole DAGs run with `dag.test()`: every task fails on its first tries,
each time in a different real way, and Airflow's own retry has to recover.

Faults, in the order a task's tries meet them (`arm_every_task`):

- ``sftp_drop``: the SFTP server stops in the middle of a transfer (its sessions are killed and
  it stops listening) — after the first file of a download is read and the next one opened, or
  halfway through the bytes of an upload. It is started again before the next try, as a server
  that comes back would be.
- ``db_drop``: the database server ends the task's session at the task's first commit: the
  backend is terminated with ``pg_terminate_backend`` just before COMMIT is sent, so the
  transaction is lost and the client sees a real ``OperationalError``.
- ``crash_after``: the task did all its work and committed it, then dies before Airflow records
  its success (the boundary between two tasks).

A fault that finds nothing to act on (no commit, no transfer) falls back to ``crash_after``, and
the log says so; the test asserts which faults really fired. ``kill_in_subprocess`` runs a DAG in
a child process that SIGKILLs itself at a task's first commit.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SFTP_TASKS = {"fetch_files", "send_batch", "send_status_inquiries"}


class InjectedCrash(RuntimeError):
    """The test killed the task here."""


@dataclass
class FaultLog:
    db_url: str
    sftp_server: object | None = None
    fired: list[tuple[str, str, int, str]] = field(default_factory=list)   # (dag, task, try, what happened)

    def kinds(self, dag_id: str, task_id: str) -> set[str]:
        return {what for d, t, _try, what in self.fired if d == dag_id and t == task_id}


# --------------------------------------------------------------------------- database


@contextmanager
def drop_connection_at_first_commit(db_url: str):
    """Terminate the backend of the first connection that commits inside this block, just before
    the COMMIT goes out. Yields a list that holds the terminated backend's pid once it happened."""
    import psycopg
    from psycopg.transaction import BaseTransaction

    dropped: list[int] = []
    real_commit = psycopg.Connection.commit
    real_commit_gen = BaseTransaction._commit_gen

    def terminate(conn) -> None:
        if dropped or conn.closed:
            return
        pid = conn.pgconn.backend_pid
        dropped.append(pid)                       # first: the killer's own commit must not recurse
        killer = psycopg.connect(db_url, autocommit=True)
        try:
            killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        finally:
            killer.close()

    def commit(self):
        terminate(self)
        return real_commit(self)

    def commit_gen(self):
        if self._outer_transaction:          # a top-level `with conn.transaction()` commits here
            terminate(self._conn)
        return real_commit_gen(self)

    psycopg.Connection.commit = commit
    BaseTransaction._commit_gen = commit_gen
    try:
        yield dropped
    finally:
        psycopg.Connection.commit = real_commit
        BaseTransaction._commit_gen = real_commit_gen


# --------------------------------------------------------------------------- SFTP


@contextmanager
def drop_sftp_mid_transfer(server):
    """Stop `server` in the middle of the first upload, or of a download after its first file.

    Interposes on paramiko's client (the real one the SFTPHook opened): on the first write the
    first half of the bytes go out, then the server's sessions are killed and the rest is
    written into a dead channel; on the second file opened for reading, the server dies right
    after the open. Yields a list holding what happened.
    """
    import paramiko

    happened: list[str] = []
    real_write = paramiko.SFTPFile.write
    real_open = paramiko.SFTPClient.open
    opened_for_reading = []

    def write(self, data):
        if happened:
            return real_write(self, data)
        half = len(data) // 2
        real_write(self, data[:half])
        self.flush()
        server.stop()
        happened.append(f"upload cut after {half} of {len(data)} bytes")
        return real_write(self, data[half:])

    def open_(self, filename, mode="r", bufsize=-1):
        fh = real_open(self, filename, mode, bufsize)
        if "r" in mode and not happened:
            opened_for_reading.append(filename)
            if len(opened_for_reading) == 2:
                server.stop()
                happened.append(f"download cut after 1 file, with {Path(filename).name} open")
        return fh

    paramiko.SFTPFile.write = write
    paramiko.SFTPClient.open = open_
    try:
        yield happened
    finally:
        paramiko.SFTPFile.write = real_write
        paramiko.SFTPClient.open = real_open


# --------------------------------------------------------------------------- arming a DAG


def faults_for(task_id: str) -> tuple[str, ...]:
    return (("sftp_drop",) if task_id in SFTP_TASKS else ()) + ("db_drop", "crash_after")


def arm_every_task(dag, log: FaultLog):
    """Make each task of `dag` fail on its first tries (see the module doc), retried at once."""
    for task in dag.tasks:
        kinds = faults_for(task.task_id)
        task.retries = len(kinds)
        task.retry_delay = timedelta(0)
        task.retry_exponential_backoff = False
        task.python_callable = _faulty(dag.dag_id, task.task_id, task.python_callable, kinds, log)
    return dag


def _faulty(dag_id: str, task_id: str, fn, kinds: tuple[str, ...], log: FaultLog):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        from airflow.sdk import get_current_context

        try_number = get_current_context()["ti"].try_number
        server = log.sftp_server
        if server is not None and server.process.poll() is not None:
            server.start()                      # the server that stopped during the last try is back
        kind = kinds[try_number - 1] if try_number <= len(kinds) else None

        def note(what: str) -> None:
            log.fired.append((dag_id, task_id, try_number, what))

        injectors = {"sftp_drop": lambda: drop_sftp_mid_transfer(server),
                     "db_drop": lambda: drop_connection_at_first_commit(log.db_url)}
        if kind in injectors:
            with injectors[kind]() as happened:
                try:
                    result = fn(*args, **kwargs)
                finally:
                    if happened:
                        note(kind)
            if happened:     # the task must notice: a lost commit or a cut transfer is an error
                raise AssertionError(f"{task_id} returned normally after {kind}: {happened[0]}")
        else:
            result = fn(*args, **kwargs)
        if kind is not None:
            note("crash_after" if kind == "crash_after" else f"crash_after (no {kind} to inject)")
            raise InjectedCrash(f"{dag_id}.{task_id} try {try_number}: killed after its work")
        return result

    return run


# --------------------------------------------------------------------------- SIGKILL


def kill_in_subprocess(dag_id: str, task_id: str, conf: dict, timeout: float = 300) -> str:
    """Run `dag_id` with dag.test() in a child process that SIGKILLs itself at `task_id`'s first
    commit (no rollback, no cleanup, the Airflow task left 'running'). Returns the child's stderr."""
    script = textwrap.dedent(f"""
        import os, signal
        import psycopg
        from psycopg.transaction import BaseTransaction
        from airflow.sdk import get_current_context
        from include.devenv.dags import load_dag

        def die_if_armed():
            try:
                ti = get_current_context()["ti"]
            except Exception:
                return
            if ti.task_id == {task_id!r}:
                os.kill(os.getpid(), signal.SIGKILL)

        real_commit, real_gen = psycopg.Connection.commit, BaseTransaction._commit_gen
        def commit(self):
            die_if_armed()
            return real_commit(self)
        def commit_gen(self):
            if self._outer_transaction:
                die_if_armed()
            return real_gen(self)
        psycopg.Connection.commit, BaseTransaction._commit_gen = commit, commit_gen
        dag = load_dag({dag_id!r})
        for task in dag.tasks:
            task.retries = 0
        dag.test(run_conf={conf!r})
        raise SystemExit("the DAG finished: {task_id} never committed")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != -signal.SIGKILL:
        raise AssertionError(f"{dag_id}.{task_id} was not killed (exit {result.returncode}): "
                             f"{result.stderr[-3000:]}")
    return result.stderr
