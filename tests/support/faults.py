"""Fault injection, one mechanism: production code takes a database connection and a RemoteFiles
(include.billing.transport); tests hand it wrappers that fail where the test says.

- ``FaultyConnection(conn, Fault(...))``: raises InjectedFault, SIGKILLs the process, or has the
  server terminate the session (a real OperationalError), just before the Nth statement that
  contains a marker, or before/after a commit (the Nth, or the first after such a statement).
- ``FaultyRemote(remote, op=..., when=...)``: fails before/after a write, rename or read (an
  upload's NAME.part write, its rename to NAME, a download), optionally cutting a write in half.
- ``faulty_dag_io`` / ``faulty_factories``: DAG tasks open their IO through include.dag_support's
  ``billing_connection`` and ``clearinghouse_files``; these swap the factories for ones that
  hand out the wrappers (a child process that runs a DAG installs them itself, see
  ``kill_in_subprocess``). No module under include/ carries a hook
  (tests/unit/architecture/test_no_test_hooks.py).

On top of it, the fault matrix (tests/e2e/test_fault_matrix.py) makes every task of a DAG run
with ``dag.test()`` fail on its first tries, each time in a different real way, and Airflow's
own retry has to recover. Faults, in the order a task's tries meet them (``arm_every_task``):

- ``sftp_drop``: the SFTP server stops in the middle of a transfer (its sessions are killed and
  it stops listening): before the second file of a download is read, or halfway through the
  bytes of an upload. It is started again before the next try, as a server that comes back
  would be.
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


class InjectedFault(RuntimeError):
    """A FaultyConnection or FaultyRemote failed here, as the test asked."""


# --------------------------------------------------------------------------- the one mechanism
#
# Production code takes a connection and a RemoteFiles; tests hand it one of these wrappers.
# A crash "between two steps" is a fault at the IO call that separates them, so no module
# under include/ needs a hook of its own.


def _act(action, what: str, conn=None, kill_url: str | None = None) -> None:
    """raise: InjectedFault. kill: SIGKILL this process (no rollback, no cleanup). drop: the
    server terminates `conn`'s session, so its next statement or COMMIT fails for real.
    A callable is called (e.g. stop a server)."""
    if callable(action):
        action()
    elif action == "raise":
        raise InjectedFault(f"injected fault {what}")
    elif action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "drop":
        import psycopg

        with psycopg.connect(kill_url, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s, 5000)", (conn.pgconn.backend_pid,))
    else:
        raise ValueError(f"unknown fault action {action!r}")


@dataclass
class Fault:
    """Where a FaultyConnection fails.

    at='statement': just before the `nth` statement whose SQL contains `statement`.
    at='before_commit' / 'after_commit': at the first commit after that statement ran `nth`
    times (without `statement`: at the `nth` commit). A commit is `conn.commit()` or the end of
    an outermost `with conn.transaction()`.
    """
    statement: str | None = None
    at: str = "statement"
    nth: int = 1
    action: object = "raise"             # 'raise' | 'kill' | 'drop' | a callable
    kill_url: str | None = None          # for 'drop': a URL allowed to terminate the session
    fired: list[str] = field(default_factory=list)
    _seen: int = 0
    _commits: int = 0

    def __post_init__(self):
        if self.at not in ("statement", "before_commit", "after_commit"):
            raise ValueError(f"unknown fault position {self.at!r}")


class FaultyConnection:
    """A psycopg connection that fails where `fault` says; everything else goes to `conn`."""

    def __init__(self, conn, fault: Fault):
        self._conn, self._fault = conn, fault

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)

    # statements
    def _statement(self, sql) -> None:
        f = self._fault
        if f.fired or f.statement is None:
            return
        text = sql if isinstance(sql, str) else (sql.as_string(self._conn) if hasattr(sql, "as_string") else str(sql))
        if f.statement not in text:
            return
        f._seen += 1
        if f.at == "statement" and f._seen == f.nth:
            f.fired.append(f"before statement {f.nth} with {f.statement!r}")
            _act(f.action, f.fired[-1], self._conn, f.kill_url)

    def execute(self, sql, *args, **kwargs):
        self._statement(sql)
        return self._conn.execute(sql, *args, **kwargs)

    def cursor(self, *args, **kwargs):
        return _FaultyCursor(self._conn.cursor(*args, **kwargs), self)

    # commits
    def _commit(self, when: str) -> None:
        f = self._fault
        if f.fired or f.at != when + "_commit":
            return
        if f.statement is None:
            if when == "before":
                f._commits += 1
            if f._commits != f.nth:
                return
        elif f._seen < f.nth:
            return
        f.fired.append(f"{when} commit" + (f" after {f.statement!r}" if f.statement else f" {f.nth}"))
        _act(f.action, f.fired[-1], self._conn, f.kill_url)

    def commit(self):
        self._commit("before")
        self._conn.commit()
        self._commit("after")

    @contextmanager
    def transaction(self, *args, **kwargs):
        from psycopg import pq

        outer = self._conn.pgconn.transaction_status == pq.TransactionStatus.IDLE and not self._conn.autocommit
        with self._conn.transaction(*args, **kwargs) as tx:
            yield tx
            if outer:                    # an inner block is a savepoint, not a commit
                self._commit("before")
        if outer:
            self._commit("after")


class _FaultyCursor:
    def __init__(self, cur, owner: FaultyConnection):
        self._cur, self._owner = cur, owner

    def __getattr__(self, name):
        return getattr(self._cur, name)

    def __enter__(self):
        self._cur.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cur.__exit__(*exc)

    def __iter__(self):
        return iter(self._cur)

    def execute(self, sql, *args, **kwargs):
        self._owner._statement(sql)
        self._cur.execute(sql, *args, **kwargs)
        return self

    def executemany(self, sql, *args, **kwargs):
        self._owner._statement(sql)
        return self._cur.executemany(sql, *args, **kwargs)

    def copy(self, sql, *args, **kwargs):
        self._owner._statement(sql)
        return self._cur.copy(sql, *args, **kwargs)


class FaultyRemote:
    """An include.billing.transport.RemoteFiles that fails at one of its calls.

    `op` is 'write', 'rename' or 'read', `when` 'before' or 'after' the real call, on calls whose
    first path ends with `suffix` (uploads write NAME.part and rename it), from the `nth` such
    call on. Every later matching call fails too (each mapped task try meets it) unless `once`.
    `cut` (with write/before): the first half of the bytes are written before the action, as a
    connection lost mid-transfer leaves them. With upload_atomically: before upload (write,
    before), mid upload (rename, before: NAME.part written, not renamed), after upload (rename,
    after: NAME there, the outcome not committed).
    """

    def __init__(self, remote, *, op: str, when: str = "before", action: object = "raise",
                 suffix: str = ".part", nth: int = 1, once: bool = False, cut: bool = False,
                 fired: list | None = None):
        if op not in ("write", "rename", "read") or when not in ("before", "after"):
            raise ValueError(f"unknown remote fault {op}/{when}")
        self._remote, self.op, self.when, self.action = remote, op, when, action
        self.suffix, self.nth, self.once, self.cut = suffix, nth, once, cut
        self.fired = fired if fired is not None else []
        self._calls = 0

    def __getattr__(self, name):
        return getattr(self._remote, name)

    def _maybe(self, op: str, when: str, path: str, data: bytes | None = None) -> None:
        if op != self.op or when != self.when or not path.endswith(self.suffix) or (self.once and self.fired):
            return
        self._calls += 1
        if self._calls < self.nth:
            return
        name = path.rsplit("/", 1)[-1]
        if self.cut and data is not None:
            self._remote.write(path, data[: len(data) // 2])
            self.fired.append(f"upload of {name} cut after {len(data) // 2} of {len(data)} bytes")
        else:
            self.fired.append(f"{when} {op} of {name}" + (f" (call {self._calls})" if self.nth > 1 else ""))
        _act(self.action, self.fired[-1])

    def write(self, path: str, data: bytes) -> None:
        self._maybe("write", "before", path, data)
        self._remote.write(path, data)
        self._maybe("write", "after", path)

    def rename(self, src: str, dst: str) -> None:
        self._maybe("rename", "before", src)
        self._remote.rename(src, dst)
        self._maybe("rename", "after", src)

    def read(self, path: str) -> bytes:
        self._maybe("read", "before", path)
        data = self._remote.read(path)
        self._maybe("read", "after", path)
        return data


FACTORIES = ("billing_connection", "clearinghouse_files")


@contextmanager
def faulty_factories(*namespaces, connection: Fault | None = None, remote: dict | None = None,
                     tasks: set[str] | None = None):
    """Replace `billing_connection` and `clearinghouse_files` in each of `namespaces`
    (include.dag_support, a loaded DAG module's globals) by factories that hand out
    FaultyConnections and FaultyRemotes; only inside the Airflow tasks named in `tasks`, when
    given. The block's closing commit goes through the wrapper: it is a commit a fault can meet.
    `remote` holds FaultyRemote's keyword arguments. Yields the fired lists (connection, remote)."""
    remote_fired: list[str] = []

    def armed() -> bool:
        if tasks is None:
            return True
        from airflow.sdk import get_current_context

        try:
            return get_current_context()["ti"].task_id in tasks
        except Exception:  # noqa: BLE001 - outside a task: not armed
            return False

    def wrap_connection(real):
        @contextmanager
        def billing_connection():
            with real() as conn:
                if connection is None or not armed():
                    yield conn
                    return
                faulty = FaultyConnection(conn, connection)
                yield faulty
                faulty.commit()
        return billing_connection

    def wrap_files(real):
        @contextmanager
        def clearinghouse_files():
            with real() as files:
                yield FaultyRemote(files, fired=remote_fired, **remote) if remote is not None and armed() else files
        return clearinghouse_files

    wrappers = {"billing_connection": wrap_connection, "clearinghouse_files": wrap_files}
    saved = []
    for ns in namespaces:
        names = ns if isinstance(ns, dict) else vars(ns)     # a module's vars() is its globals dict
        for name in FACTORIES:
            if name in names:                 # a DAG may import one of them inside a task instead
                saved.append((names, name, names[name]))
                names[name] = wrappers[name](names[name])
    try:
        yield (connection.fired if connection is not None else []), remote_fired
    finally:
        for names, name, real in reversed(saved):
            names[name] = real


def faulty_dag_io(**faults):
    """faulty_factories for the DAGs loaded inside the block (include.devenv.dags.load_dag
    re-reads the DAG file, which imports the factories from include.dag_support)."""
    import include.dag_support as dag_support

    return faulty_factories(dag_support, **faults)


@dataclass
class FaultLog:
    db_url: str
    sftp_server: object | None = None
    fired: list[tuple[str, str, int, str]] = field(default_factory=list)   # (dag, task, try, what happened)

    def kinds(self, dag_id: str, task_id: str) -> set[str]:
        return {what for d, t, _try, what in self.fired if d == dag_id and t == task_id}


# --------------------------------------------------------------------------- the matrix's faults


def db_drop(db_url: str) -> dict:
    """The database server ends the task's session at its first commit, just before COMMIT goes
    out: the transaction is lost and the client sees a real OperationalError."""
    return {"connection": Fault(at="before_commit", action="drop", kill_url=db_url)}


def sftp_drop(task_id: str, server) -> dict:
    """The SFTP server stops in the middle of the first upload (half its bytes written), or
    before the second file of a download is read."""
    if task_id == "fetch_files":
        return {"remote": {"op": "read", "suffix": "", "nth": 2, "once": True, "action": server.stop}}
    return {"remote": {"op": "write", "cut": True, "once": True, "action": server.stop}}


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

        injectors = {"sftp_drop": lambda: sftp_drop(task_id, server), "db_drop": lambda: db_drop(log.db_url)}
        if kind in injectors:
            import include.dag_support as dag_support

            # the task's own module, and include.dag_support for factories a task imports when it runs
            with faulty_factories(fn.__globals__, dag_support, **injectors[kind]()) as (conn_fired, remote_fired):
                try:
                    result = fn(*args, **kwargs)
                finally:
                    happened = conn_fired + remote_fired
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
        from include.devenv.dags import load_dag
        from tests.support.faults import Fault, faulty_dag_io

        with faulty_dag_io(connection=Fault(at="before_commit", action="kill"), tasks={{{task_id!r}}}):
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
