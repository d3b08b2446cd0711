"""Files that hold PHI are 0600 and their folders 0700, whatever the umask of whoever writes them:
our own files, the copies we upload over SFTP (the remote file's mode too), the sandbox's mailbox,
and the private PostgreSQL's folders (its server user gets through, nobody else)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from include.billing.private_files import private_dir, write_private
from include.billing.transport import SftpFiles, upload_atomically

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The permissive umask most systems start with: the code under test must not rely on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_private_helpers_make_0700_folders_all_the_way_down_and_0600_files(tmp_path, open_umask):
    folder = private_dir(tmp_path / "reports" / "2026-01-05" / "work")
    for created in (tmp_path / "reports", tmp_path / "reports" / "2026-01-05", folder):
        assert _mode(created) == 0o700, created
    existing = tmp_path / "wide"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    assert _mode(private_dir(existing)) == 0o700
    target = folder / "report.html"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, "<html>")
    assert _mode(target) == 0o600 and target.read_text() == "<html>"


def test_the_run_folder_is_private_and_sets_the_umask(tmp_path, open_umask, monkeypatch):
    from include.devenv.paths import run_dir, sub_dir

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path / "run"))
    run = run_dir()
    assert _mode(run) == 0o700
    assert os.umask(0o077) & 0o077 == 0o077          # run_dir() set it for the whole process
    assert _mode(sub_dir("reports", "x")) == 0o700
    (sub_dir("mail") / "m.eml").write_text("x")       # a plain write, as a library would
    assert _mode(run / "mail" / "m.eml") == 0o600


def test_upload_to_openssh_sets_the_remote_file_mode(tmp_path):
    """OpenSSH's sftp-server creates files with its own umask (022 here): the upload must set 0600."""
    import paramiko

    from tests.support.sshd import start_sshd

    old = os.umask(0o022)
    try:
        server = start_sshd(tmp_path / "sshd")
    finally:
        os.umask(old)
    try:
        (server.root / "inbound").mkdir()
        (server.root / "inbound").chmod(0o755)
        key = paramiko.Ed25519Key.from_private_key_file(str(server.private_key))
        transport = paramiko.Transport((server.host, server.port))
        transport.connect(username=server.user, pkey=key)
        try:
            client = paramiko.SFTPClient.from_transport(transport)
            # the control: a plain paramiko upload lands world-readable on this server
            with client.open(str(server.root / "inbound" / "plain.txt"), "wb") as fh:
                fh.write(b"x")
            assert _mode(server.root / "inbound" / "plain.txt") == 0o644
            remote = SftpFiles(client)
            assert upload_atomically(remote, b"ISA*PHI~", str(server.root / "inbound"), "F.x12") == "uploaded"
        finally:
            transport.close()
    finally:
        server.stop()
    assert _mode(server.root / "inbound" / "F.x12") == 0o600


def test_sandbox_mailbox_creates_0600_and_refuses_to_widen(tmp_path, open_umask):
    import paramiko

    from include.sandbox.sftp_server import serve_sftp

    server = serve_sftp(tmp_path / "mailbox", user="partner", password="s3cret", keys_dir=tmp_path / "keys")
    try:
        transport = paramiko.Transport(("127.0.0.1", server.port))
        transport.connect(username="partner", password="s3cret")
        try:
            client = paramiko.SFTPClient.from_transport(transport)
            with client.open("inbound/claims.x12", "wb") as fh:
                fh.write(b"ISA*PHI~")
            client.chmod("inbound/claims.x12", 0o644)
        finally:
            transport.close()
    finally:
        server.stop()
    assert _mode(tmp_path / "mailbox" / "inbound" / "claims.x12") == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="the server-user path exists only when running as root")
def test_private_postgres_opens_no_folder_to_everyone(tmp_path):
    base = tmp_path / "home"
    base.mkdir(mode=0o700)
    base.chmod(0o700)
    run = base / "run"
    env = {k: v for k, v in os.environ.items() if k != "BILLING_DATABASE_URL"}
    env["BILLING_RUN_DIR"] = str(run)
    before = {p: _mode(p) for p in [base, *base.parents]}
    started = subprocess.run([sys.executable, "-m", "include.devenv.postgres", "url"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=180)
    try:
        assert started.returncode == 0, started.stderr
        for folder, mode in before.items():
            now = _mode(folder)
            assert now & 0o007 == mode & 0o007, f"{folder}: others' bits changed {oct(mode)} -> {oct(now)}"
            assert now & 0o060 == mode & 0o060, f"{folder}: group read/write changed {oct(mode)} -> {oct(now)}"
        # the 0700 folders on the way were given to the server's group for crossing only
        assert _mode(base) == 0o710 and _mode(run) == 0o710
        assert _mode(run / "pg" / "data") == 0o700
    finally:
        subprocess.run([sys.executable, "-m", "include.devenv.postgres", "stop"], cwd=ROOT, env=env,
                       capture_output=True, timeout=120)
