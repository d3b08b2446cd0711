"""Transport: eligibility requests (PHI and basic-auth credentials) only over https unless the
host is this machine; SFTP host-key checking cannot be turned off by a connection extra."""

from __future__ import annotations

import json

import pytest
import yaml

from include.billing.transport import InsecureConnectionError, check_sftp_extras, eligibility_url


@pytest.mark.parametrize("host", ["api.clearinghouse.example", "clearinghouse", "10.0.0.5", "192.168.1.20"])
def test_http_to_another_host_is_refused_with_a_clear_message(host):
    with pytest.raises(InsecureConnectionError) as refused:
        eligibility_url("http", host, 8081)
    message = str(refused.value)
    assert "eligibility_api" in message and host in message and "https" in message


@pytest.mark.parametrize("host,url", [("127.0.0.1", "http://127.0.0.1:8081/x12/270"),
                                      ("127.0.0.2", "http://127.0.0.2:8081/x12/270"),
                                      ("localhost", "http://localhost:8081/x12/270"),
                                      ("::1", "http://[::1]:8081/x12/270")])
def test_http_to_loopback_is_allowed(host, url):
    assert eligibility_url("http", host, 8081) == url


def test_https_and_an_unset_schema_mean_https():
    assert eligibility_url("https", "api.example", None) == "https://api.example:443/x12/270"
    # the old code fell back to http here
    assert eligibility_url(None, "api.example", 8443, "/core/270") == "https://api.example:8443/core/270"
    assert eligibility_url("", "api.example", None).startswith("https://")
    # on this machine nothing leaves it: an unset schema keeps plain http there
    assert eligibility_url(None, "127.0.0.1", 8081) == "http://127.0.0.1:8081/x12/270"


def test_a_name_that_merely_looks_local_is_not_loopback():
    for host in ("localhost.evil.example", "127.0.0.1.nip.io"):
        with pytest.raises(InsecureConnectionError):
            eligibility_url("http", host, 80)


@pytest.mark.parametrize("key", ["no_host_key_check", "allow_host_key_change"])
@pytest.mark.parametrize("value", [True, "true", "True", "1", "yes"])
def test_host_key_checking_cannot_be_turned_off(key, value):
    with pytest.raises(InsecureConnectionError, match=f"{key}.*cannot be turned off"):
        check_sftp_extras({"host_key": "ssh-ed25519 AAAA", key: value})


def test_extras_that_keep_checking_on_pass():
    check_sftp_extras({"host_key": "ssh-ed25519 AAAA", "no_host_key_check": "false"})
    check_sftp_extras({"allow_host_key_change": False})
    check_sftp_extras({})
    check_sftp_extras(None)


def test_the_dags_sftp_connection_refuses_before_connecting(airflow_home, monkeypatch):
    """include.dag_support.clearinghouse_files checks the extras before any socket opens."""
    from include import dag_support

    conn = {"conn_type": "sftp", "host": "127.0.0.1", "port": 1, "login": "x", "password": "y",
            "extra": {"no_host_key_check": "true"}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{dag_support.CLEARINGHOUSE_SFTP_CONN_ID.upper()}", json.dumps(conn))
    with pytest.raises(InsecureConnectionError, match="no_host_key_check"):
        with dag_support.clearinghouse_files():
            pass


def test_compose_connections_are_protected():
    from pathlib import Path

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yaml").read_text())
    env = compose["x-airflow-common"]["environment"]
    eligibility = json.loads(env["AIRFLOW_CONN_ELIGIBILITY_API"])
    eligibility_url(eligibility.get("schema"), eligibility["host"], eligibility["port"])   # does not raise
    check_sftp_extras(json.loads(env["AIRFLOW_CONN_CLEARINGHOUSE_SFTP"]).get("extra"))
