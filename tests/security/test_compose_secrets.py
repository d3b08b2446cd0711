"""docker-compose.yaml ships no working secret and publishes nothing beyond this machine.

Every secret must be a required variable (`${VAR:?message}`): compose refuses to start while
it is unset, so no one runs the stack on a password printed in a public repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")
REQUIRED = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|(?<![A-Z])KEY$|_KEY$|REQUIREPASS", re.I)
URL_PASSWORD = re.compile(r"^[a-z0-9+]+://[^:/@\s]*:(?P<password>[^@]*)@", re.I)


def _strings(node, path=""):
    """Every (path, string) in the parsed YAML; mapping keys included as their own path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
        yield path, str(node)


def default_secrets(compose: dict) -> list[str]:
    """What in a parsed compose file is, or falls back to, a literal secret."""
    problems = []
    for path, value in _strings(compose):
        key = path.rsplit("/", 1)[-1]
        # 1. no interpolation of a secret-looking variable may carry a default (`:-x`, `-x`, `:+x`)
        for name, modifier in INTERPOLATION.findall(value):
            if SECRET_NAME.search(name) and not modifier.startswith(":?"):
                problems.append(f"{path}: ${{{name}{modifier}}} has a default or is optional")
        # 2. a secret-named setting holds a required variable and nothing else
        if SECRET_NAME.search(key) and not key.upper().endswith("_FILE") and not REQUIRED.match(value.strip()):
            problems.append(f"{path}: {key} is not a required variable")
        # 3. passwords inside URLs (SQLAlchemy, Celery, Airflow connection URIs)
        for word in value.split():
            match = URL_PASSWORD.match(word.strip("\"'"))
            if match and not _is_variable(match.group("password")):
                problems.append(f"{path}: a URL carries a literal password")
        # 4. Airflow connections given as JSON
        if value.lstrip().startswith("{") and "conn_type" in value:
            conn = json.loads(value)
            for field in ("password",):
                if field in conn and not REQUIRED.match(str(conn[field])):
                    problems.append(f"{path}: connection {field} is not a required variable")
    # 5. command lines: the argument after --password / --requirepass
    for name, service in compose.get("services", {}).items():
        command = service.get("command")
        if isinstance(command, list):
            for flag, value in zip(command, command[1:]):
                if str(flag).lstrip("-").lower() in ("password", "requirepass") and not REQUIRED.match(str(value)):
                    problems.append(f"services/{name}/command: {flag} is given a literal")
    return problems


def _is_variable(text: str) -> bool:
    return bool(REQUIRED.match(text)) or bool(re.fullmatch(r"\$\$[A-Za-z_][A-Za-z0-9_]*", text))


def exposed_ports(compose: dict) -> list[str]:
    problems = []
    for name, service in compose.get("services", {}).items():
        for port in service.get("ports", []) or []:
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}"
            if not str(spec).startswith("127.0.0.1:"):
                problems.append(f"services/{name}/ports: {spec} is published beyond 127.0.0.1")
    return problems


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_compose_has_no_default_secret(compose):
    assert default_secrets(compose) == []


def test_compose_publishes_ports_on_loopback_only(compose):
    assert exposed_ports(compose) == []
    assert any(s.get("ports") for s in compose["services"].values()), "no ports at all: the check saw nothing"


def test_every_required_variable_is_documented(compose):
    text = (ROOT / "docker-compose.yaml").read_text()
    required = {name for name, modifier in INTERPOLATION.findall(text) if modifier.startswith(":?")}
    assert {"AIRFLOW_JWT_SECRET", "AIRFLOW_API_SECRET_KEY", "AIRFLOW_FERNET_KEY", "AIRFLOW_ADMIN_PASSWORD"} <= required
    example = (ROOT / "docker" / "secrets.env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in required:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} missing (or given a value) in secrets.env.example"
        assert name in readme, f"{name} is not in the README"


def test_the_checks_catch_what_the_compose_file_used_to_ship():
    # the shapes the old compose file had, each of which must be reported
    old = yaml.safe_load("""
services:
  api:
    environment:
      AIRFLOW__API_AUTH__JWT_SECRET: ${AIRFLOW_JWT_SECRET:-change-me-shared-jwt-secret}
      AIRFLOW__CORE__FERNET_KEY: ${AIRFLOW_FERNET_KEY:-}
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:airflow@airflow-metadata/airflow
      AIRFLOW_CONN_SFTP: '{"conn_type": "sftp", "host": "h", "password": "sandbox-password"}'
    ports: ["8080:8080"]
  db:
    environment:
      POSTGRES_PASSWORD: billing
  box:
    command: [serve, --password, sandbox-password]
""")
    found = default_secrets(old)
    for where in ("JWT_SECRET: ${AIRFLOW_JWT_SECRET:-", "FERNET_KEY: ${AIRFLOW_FERNET_KEY:-}",
                  "SQL_ALCHEMY_CONN: a URL", "AIRFLOW_CONN_SFTP: connection password", "POSTGRES_PASSWORD: POSTGRES",
                  "box/command: --password"):
        field, what = where.split(": ", 1)
        assert any(field in f and what in f for f in found), (where, found)
    assert exposed_ports(old) == ["services/api/ports: 8080:8080 is published beyond 127.0.0.1"]
