"""The atomic upload protocol over a local folder and over the real OpenSSH server."""

from __future__ import annotations

import pytest

from include.billing.transport import LocalFolder, SftpFiles, TransportError, upload_atomically
from tests.support.faults import FaultyRemote, InjectedFault


def _folders(root):
    for name in ("inbound", "archive"):
        (root / name).mkdir(exist_ok=True)


def test_upload_writes_part_then_renames(tmp_path):
    _folders(tmp_path)
    seen = []
    watched = FaultyRemote(LocalFolder(tmp_path), op="rename", when="before",
                           action=lambda: seen.append(sorted(p.name for p in (tmp_path / "inbound").iterdir())))
    result = upload_atomically(watched, b"ISA*...~", "inbound", "F.x12")
    assert result == "uploaded"
    assert seen == [["F.x12.part"]]                    # only the .part existed before the rename
    assert sorted(p.name for p in (tmp_path / "inbound").iterdir()) == ["F.x12"]
    assert (tmp_path / "inbound" / "F.x12").stat().st_mode & 0o077 == 0


def test_crash_before_rename_leaves_only_a_part_and_the_retry_replaces_it(tmp_path):
    _folders(tmp_path)
    remote = LocalFolder(tmp_path)
    with pytest.raises(InjectedFault):
        upload_atomically(FaultyRemote(remote, op="rename", when="before"), b"12345", "inbound", "F.x12")
    assert [p.name for p in (tmp_path / "inbound").iterdir()] == ["F.x12.part"]
    assert upload_atomically(remote, b"12345", "inbound", "F.x12") == "uploaded"
    assert [p.name for p in (tmp_path / "inbound").iterdir()] == ["F.x12"]


@pytest.mark.parametrize("where", ["inbound", "archive"])
def test_already_delivered_file_is_not_uploaded_again(tmp_path, where):
    _folders(tmp_path)
    (tmp_path / where / "F.x12").write_bytes(b"12345")
    assert upload_atomically(LocalFolder(tmp_path), b"12345", "inbound", "F.x12",
                             also_look_in=("archive",)) == "already_delivered"
    assert not (tmp_path / "inbound" / "F.x12.part").exists()


def test_same_name_other_size_is_replaced(tmp_path):
    _folders(tmp_path)
    (tmp_path / "inbound" / "F.x12").write_bytes(b"12")
    assert upload_atomically(LocalFolder(tmp_path), b"12345", "inbound", "F.x12") == "uploaded"
    assert (tmp_path / "inbound" / "F.x12").read_bytes() == b"12345"


def test_missing_folder_is_a_transport_error(tmp_path):
    with pytest.raises(TransportError, match="F.x12"):
        upload_atomically(LocalFolder(tmp_path), b"x", "nowhere", "F.x12")


def test_over_real_sftp(sftp_server):
    import paramiko

    _folders(sftp_server.root)
    key = paramiko.Ed25519Key.from_private_key_file(str(sftp_server.private_key))
    transport = paramiko.Transport((sftp_server.host, sftp_server.port))
    transport.connect(username=sftp_server.user, pkey=key)
    try:
        remote = SftpFiles(paramiko.SFTPClient.from_transport(transport))
        inbound = str(sftp_server.root / "inbound")
        assert upload_atomically(remote, b"ISA" * 1000, inbound, "F.x12") == "uploaded"
        assert upload_atomically(remote, b"ISA" * 1000, inbound, "F.x12") == "already_delivered"
        assert remote.listdir(inbound) == ["F.x12"]
        assert remote.read(inbound + "/F.x12") == b"ISA" * 1000
        assert remote.size(inbound + "/missing") is None
    finally:
        transport.close()
