"""The SFTP test server is real OpenSSH and Airflow's SFTPHook reaches it with host-key checking on."""

import json

import pytest


def test_sftphook_checks_host_key(sftp_server, airflow_home, monkeypatch):
    from airflow.providers.sftp.hooks.sftp import SFTPHook

    monkeypatch.setenv("AIRFLOW_CONN_TEST_SFTP", sftp_server.airflow_conn_json())
    hook = SFTPHook(ssh_conn_id="test_sftp")
    target = sftp_server.root / "hello.txt"
    local = sftp_server.root.parent / "local.txt"
    local.write_text("x12")
    hook.store_file(str(target), str(local))
    assert target.read_text() == "x12"
    assert "hello.txt" in hook.list_directory(str(sftp_server.root))


def test_wrong_host_key_is_refused(sftp_server, airflow_home, monkeypatch):
    from airflow.providers.sftp.hooks.sftp import SFTPHook

    conn = json.loads(sftp_server.airflow_conn_json())
    # a different, valid ed25519 key: the server must not be trusted
    conn["extra"]["host_key"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    monkeypatch.setenv("AIRFLOW_CONN_TEST_SFTP", json.dumps(conn))
    with pytest.raises(Exception, match="(?i)host key|not found in known_hosts|BadHostKey"):
        SFTPHook(ssh_conn_id="test_sftp").list_directory(str(sftp_server.root))
