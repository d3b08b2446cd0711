"""Shared test harness: a real PostgreSQL per test, an Airflow home migrated once per session.

The environment is set before anything imports Airflow: an absolute SQLite path for the
metadata database, no example DAGs, the project's `dags/` folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEST_RUN_DIR = PROJECT_ROOT / ".run" / "test"
TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)

# One Airflow home per test session so parallel sessions never share a SQLite file.
AIRFLOW_HOME = TEST_RUN_DIR / f"airflow-{os.getpid()}"
os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PROJECT_ROOT / "plugins")
os.environ["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = str(AIRFLOW_HOME / "logs")
os.environ.setdefault("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "120")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# tasks hand each other ids and counts, never filesystem paths (a CeleryExecutor worker has its own disk)
os.environ["AIRFLOW__CORE__XCOM_BACKEND"] = "include.xcom_guard.PathRefusingXCom"
# the dev default of the workers' scratch folder, as include.devenv.paths.run_dir injects it
os.environ.setdefault("BILLING_RUN_DIR", str(PROJECT_ROOT / ".run"))


def _migrated_airflow_template() -> Path:
    """Migrate an Airflow metadata database once per Airflow version; sessions copy it."""
    from importlib.metadata import version

    template = TEST_RUN_DIR / f"airflow-template-{version('apache-airflow-core')}.db"
    with open(TEST_RUN_DIR / "airflow-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            home = TEST_RUN_DIR / "airflow-template-home"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            env = dict(os.environ, AIRFLOW_HOME=str(home),
                       AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}")
            subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                           capture_output=True)
            shutil.copy(home / "airflow.db", template)
    return template


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """An Airflow home with a migrated SQLite metadata database (absolute path)."""
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    db = AIRFLOW_HOME / "airflow.db"
    if not db.exists():
        shutil.copy(_migrated_airflow_template(), db)
    yield AIRFLOW_HOME
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------

def _migrations_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "include" / "sql" / "migrations").glob("*.sql")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The server under test: BILLING_DATABASE_URL's, or the private one in .run/pg."""
    from include.devenv.postgres import database_url

    return database_url()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url) -> str:
    """A migrated template database, built once per migration set (CREATE DATABASE ... TEMPLATE is fast)."""
    import psycopg
    from psycopg import sql

    from include.billing.db import migrate

    name = f"billing_tpl_{_migrations_digest()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(724301)")
        try:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                building = name + "_build"
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building)))
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
                migrate(_with_database(pg_admin_url, building))
                admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(name)))
        finally:
            admin.execute("SELECT pg_advisory_unlock(724301)")
    return name


_db_counter = itertools.count()


@pytest.fixture
def db_url(pg_admin_url, pg_template) -> str:
    """A fresh, migrated database for one test; dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"billing_t{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(pg_template)))
    yield _with_database(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def app_db_url(db_url) -> str:
    """The test database as the DAGs and the UI reach it (`billing_db` in the e2e tests): a login
    in billing_app (migration 0011), with DML only and append-only audit tables. `db_url`, the
    owner that ran the migrations, stays for seeding and for the tests' own inspection."""
    from include.billing.db import ensure_app_login

    return ensure_app_login(db_url)


@pytest.fixture
def db(db_url):
    """A psycopg connection to the test's own database."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        yield conn


# --- SFTP -------------------------------------------------------------------------------

@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a loopback port; `.messages` holds what it received."""
    from tests.support.smtp import running_smtp_server

    with running_smtp_server() as inbox:
        yield inbox


@pytest.fixture
def sftp_server(tmp_path):
    """A real OpenSSH server with SFTP on a loopback port; stopped after the test."""
    from tests.support.sshd import start_sshd

    server = start_sshd(tmp_path / "sshd")
    yield server
    server.stop()
