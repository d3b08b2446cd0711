"""Partners reach the mailbox over SFTP: Airflow's SFTPHook against the sandbox's asyncssh
server (host key pinned), and the same processing behind the OpenSSH server the tests use."""
from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time

import asyncssh
import pytest
import sandbox_world as w

from include.edi.validate import validate_x12
from include.edi.x999 import parse_999
from include.sandbox.clearinghouse import Clearinghouse
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario
from include.sandbox.sftp_server import host_public_key, serve_sftp


def _claims(n=3):
    rd = w.roster_dict(30)
    rng = random.Random(3)
    return [w.make_claim(i, m, rng) for i, m in enumerate(w.active_members(rd)[:n], 1)], rd


def _conn_json(port, host_key, password="s3cret"):
    return json.dumps({"conn_type": "sftp", "host": "127.0.0.1", "port": port, "login": "partner",
                       "password": password, "extra": {"host_key": host_key, "no_host_key_check": "false"}})


@pytest.fixture
def sandbox_sftp(tmp_path):
    srv = serve_sftp(tmp_path / "mailbox", user="partner", password="s3cret", keys_dir=tmp_path / "keys")
    yield srv
    srv.stop()


def _wait_for(pred, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_airflow_sftphook_uploads_lists_and_downloads(airflow_home, sandbox_sftp, tmp_path, monkeypatch):
    from airflow.providers.sftp.hooks.sftp import SFTPHook
    claims, rd = _claims()
    monkeypatch.setenv("AIRFLOW_CONN_SANDBOX_CH", _conn_json(sandbox_sftp.port, sandbox_sftp.host_public_key))
    ch = Clearinghouse(sandbox_sftp.root, Scenario(), Roster.from_dict(rd))
    stop = threading.Event()
    loop = threading.Thread(target=ch.run_loop, args=(0.2, stop), kwargs={"clock": lambda: w.RECEIVED})
    loop.start()
    try:
        hook = SFTPHook(ssh_conn_id="sandbox_ch")
        assert sorted(hook.list_directory("/")) == ["archive", "inbound", "lockbox", "outbound", "statements"]  # state stays private
        local = tmp_path / "batch.837"
        local.write_bytes(w.build_file(claims, 901))
        hook.store_file("/inbound/batch.837.part", str(local))
        time.sleep(0.5)
        assert hook.list_directory("/outbound") == []           # a .part upload is not picked up
        with hook.get_managed_conn() as sftp:
            sftp.rename("/inbound/batch.837.part", "/inbound/batch.837")
        _wait_for(lambda: len(hook.list_directory("/outbound")) == 2)
        names = sorted(hook.list_directory("/outbound"))
        assert names == ["277CA_000000901.x12", "999_000000901.x12"]
        got = tmp_path / "999.x12"
        hook.retrieve_file("/outbound/999_000000901.x12", str(got))
        assert [f for f in validate_x12(got.read_bytes()) if f.severity == "error"] == []
        assert parse_999(got.read_bytes())[0].transactions[0].status == "A"
        assert hook.list_directory("/archive") == ["batch.837"]
        assert hook.list_directory("/.sandbox") is None       # the hook's answer to "not listable"
        with hook.get_managed_conn() as sftp, pytest.raises(PermissionError):
            sftp.open("/.sandbox/state.json")
    finally:
        stop.set()
        loop.join(10)


def test_wrong_host_key_is_refused(airflow_home, sandbox_sftp, tmp_path, monkeypatch):
    from airflow.providers.sftp.hooks.sftp import SFTPHook
    other = " ".join(asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()[:2])
    monkeypatch.setenv("AIRFLOW_CONN_SANDBOX_BAD", _conn_json(sandbox_sftp.port, other))
    with pytest.raises(Exception) as exc:
        SFTPHook(ssh_conn_id="sandbox_bad").list_directory("/")
    assert "key" in str(exc.value).lower() or "host" in type(exc.value).__name__.lower()
    # and a wrong password with the right key is refused too
    monkeypatch.setenv("AIRFLOW_CONN_SANDBOX_PW", _conn_json(sandbox_sftp.port, sandbox_sftp.host_public_key, "no"))
    with pytest.raises(Exception):
        SFTPHook(ssh_conn_id="sandbox_pw").list_directory("/")


def test_public_key_login_with_pinned_host_key(tmp_path):
    client = asyncssh.generate_private_key("ssh-ed25519")
    (tmp_path / "authorized_keys").write_bytes(client.export_public_key())
    srv = serve_sftp(tmp_path / "mb", user="partner", authorized_keys=tmp_path / "authorized_keys",
                     keys_dir=tmp_path / "keys")
    try:
        known = asyncssh.import_known_hosts(f"[127.0.0.1]:{srv.port} {srv.host_public_key}\n")

        async def listing(key):
            async with asyncssh.connect("127.0.0.1", srv.port, username="partner", client_keys=[key],
                                        known_hosts=known, password=None) as conn:
                async with conn.start_sftp_client() as sftp:
                    return sorted(await sftp.listdir("/"))

        import asyncio
        assert asyncio.run(listing(client)) == [".", "..", "archive", "inbound", "lockbox", "outbound", "statements"]
        with pytest.raises(asyncssh.PermissionDenied):
            asyncio.run(listing(asyncssh.generate_private_key("ssh-ed25519")))
    finally:
        srv.stop()


def test_host_key_is_generated_once_and_kept(tmp_path):
    a = host_public_key(tmp_path / "k")
    assert a.startswith("ssh-ed25519 AAAA") and host_public_key(tmp_path / "k") == a
    assert oct((tmp_path / "k" / "ssh_host_ed25519_key").stat().st_mode & 0o777) == "0o600"


def test_processing_behind_openssh(airflow_home, sftp_server, tmp_path, monkeypatch):
    """The mailbox logic doesn't care which SFTP server fronts the folder."""
    from airflow.providers.sftp.hooks.sftp import SFTPHook
    claims, rd = _claims(2)
    ch = Clearinghouse(sftp_server.root / "mailbox", Scenario(), Roster.from_dict(rd))
    monkeypatch.setenv("AIRFLOW_CONN_OPENSSH_CH", sftp_server.airflow_conn_json())
    hook = SFTPHook(ssh_conn_id="openssh_ch")
    local = tmp_path / "b.837"
    local.write_bytes(w.build_file(claims, 77))
    inbound = str(ch.inbound)
    hook.store_file(f"{inbound}/b.837.part", str(local))
    with hook.get_managed_conn() as sftp:
        sftp.rename(f"{inbound}/b.837.part", f"{inbound}/b.837")
    ch.process(w.RECEIVED)
    ch.process(w.RECEIVED + dt.timedelta(days=60))
    names = sorted(hook.list_directory(str(ch.outbound)))
    assert names[:2] == ["277CA_000000077.x12", "835_AETNA_202605010000001.x12"] or \
        {n.split("_")[0] for n in names} == {"999", "277CA", "835"}
    assert any(n.startswith("835_") for n in names)
