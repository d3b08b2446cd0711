"""The Billing UI as Airflow serves it: Airflow's own FastAPI app (auth manager, middleware,
plugins) with the project's plugins folder, so the plugin is mounted exactly as in production.

Users come from the simple auth manager ("alice" admin, "vic" viewer); tokens are minted
with the auth manager's `generate_jwt`, as Airflow's login route does.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

# Airflow puts the plugins folder on sys.path; the pure tests import the package directly
PLUGINS = str(Path(__file__).resolve().parents[3] / "plugins")
if PLUGINS not in sys.path:
    sys.path.append(PLUGINS)

# read by Airflow's config on every get(), so setting them here (before the app exists) is enough
os.environ["AIRFLOW__CORE__AUTH_MANAGER"] = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "alice:admin,vic:viewer"
os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "False"
os.environ.setdefault("AIRFLOW__API__SECRET_KEY", "billing-ui-test-secret")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "billing-ui-test-jwt-secret-" + "0123456789abcdef" * 4)

BASE = "http://airflow.test"  # a dotted host: cookie jars keep cookies set by it


@pytest.fixture(scope="session")
def airflow_app(airflow_home):
    from airflow.api_fastapi.app import create_app

    return create_app("core")


@pytest.fixture
def billing_db_conn(db_url, monkeypatch):
    """The Airflow connection `billing_db` pointing at the test's database."""
    monkeypatch.setenv("AIRFLOW_CONN_BILLING_DB", db_url.replace("postgresql://", "postgres://", 1)
                       if db_url.startswith("postgresql://") else db_url)
    return db_url


def token_for(username: str, role: str = "admin") -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role=role))


@pytest.fixture
def anon(airflow_app, billing_db_conn):
    from fastapi.testclient import TestClient

    with TestClient(airflow_app, base_url=BASE) as client:
        yield client


@pytest.fixture
def client(airflow_app, billing_db_conn):
    """A browser-like client signed in as alice: the `_token` cookie, as the UI holds it."""
    from fastapi.testclient import TestClient

    with TestClient(airflow_app, base_url=BASE) as c:
        c.cookies.set("_token", token_for("alice"))
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert m, "page has no CSRF token"
    return m[1]
