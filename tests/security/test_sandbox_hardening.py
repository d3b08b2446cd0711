"""The sandbox clearinghouse refuses links and never lets a partner's value pick a file's place.

A symbolic link from outbound/ to /.sandbox/state.json used to read the roster's PHI; a
crafted ISA13 (`../../../`, nine characters as ISA13 must be) used to put the 999 outside
the mailbox. Both are tried here against the real SFTP server and the real processing step.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
from pathlib import Path

import asyncssh
import pytest

from include.sandbox.clearinghouse import Clearinghouse, name_part, safe_file_name
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario
from include.sandbox.sftp_server import serve_sftp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "sandbox"))
import sandbox_world as w  # noqa: E402

PASSWORD = "s3cret"


@pytest.fixture
def mailbox(tmp_path):
    server = serve_sftp(tmp_path / "mailbox", user="partner", password=PASSWORD, keys_dir=tmp_path / "keys")
    private = server.root / ".sandbox"
    private.mkdir(mode=0o700)
    (private / "state.json").write_text('{"roster": "PHI"}')
    yield server
    server.stop()


def _sftp(server, action):
    """Run `action(sftp)` in an asyncssh SFTP session (pins the server's host key)."""
    async def go():
        known = asyncssh.import_known_hosts(f"[127.0.0.1]:{server.port} {server.host_public_key}\n")
        async with asyncssh.connect("127.0.0.1", server.port, username="partner", password=PASSWORD,
                                    known_hosts=known) as conn:
            async with conn.start_sftp_client() as sftp:
                return await action(sftp)
    return asyncio.run(go())


def test_a_partner_cannot_create_a_symbolic_link(mailbox):
    async def attempt(sftp):
        await sftp.symlink("/.sandbox/state.json", "outbound/leak")
    with pytest.raises(asyncssh.SFTPPermissionDenied, match="symbolic links"):
        _sftp(mailbox, attempt)
    assert not os.path.lexists(mailbox.root / "outbound" / "leak")


def test_a_partner_cannot_create_a_hard_link(mailbox):
    (mailbox.root / "outbound" / "mine.x12").write_bytes(b"ISA~")

    async def attempt(sftp):
        await sftp.link("outbound/mine.x12", "inbound/again.x12")
    with pytest.raises(asyncssh.SFTPPermissionDenied, match="hard links"):
        _sftp(mailbox, attempt)
    assert not (mailbox.root / "inbound" / "again.x12").exists()


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_a_link_placed_in_the_mailbox_reads_nothing(mailbox, kind):
    """However a link got there, reading, listing its attributes or renaming through it is refused."""
    leak = mailbox.root / "outbound" / "leak.x12"
    target = mailbox.root / ".sandbox" / "state.json"
    os.symlink(target, leak) if kind == "symlink" else os.link(target, leak)

    async def read(sftp):
        async with sftp.open("outbound/leak.x12", "rb") as fh:
            return await fh.read()
    with pytest.raises(asyncssh.SFTPPermissionDenied):
        _sftp(mailbox, read)

    async def stat(sftp):
        return await sftp.stat("outbound/leak.x12")
    with pytest.raises(asyncssh.SFTPPermissionDenied):
        _sftp(mailbox, stat)


def test_a_symlinked_folder_is_not_a_way_in(mailbox):
    os.symlink(mailbox.root / ".sandbox", mailbox.root / "outbound" / "private")

    async def read(sftp):
        async with sftp.open("outbound/private/state.json", "rb") as fh:
            return await fh.read()
    with pytest.raises(asyncssh.SFTPPermissionDenied):
        _sftp(mailbox, read)


def test_ordinary_files_still_work(mailbox):
    async def roundtrip(sftp):
        async with sftp.open("inbound/claims.x12", "wb") as fh:
            await fh.write(b"ISA*00~")
        async with sftp.open("inbound/claims.x12", "rb") as fh:
            return await fh.read(), sorted(await sftp.listdir("inbound"))
    assert _sftp(mailbox, roundtrip) == (b"ISA*00~", [".", "..", "claims.x12"])


# --- partner values in file names -------------------------------------------------------

@pytest.mark.parametrize("value,length,expected", [
    ("000000501", 9, "000000501"),
    ("../../../", 9, "_________"),
    ("12", 9, "000000012"),
    ("1234567890123", 9, "123456789"),
    ("A/B\\C\x00D é", 9, "A_B_C_D__"),
])
def test_name_parts_are_allow_listed_and_of_fixed_length(value, length, expected):
    assert name_part(value, length) == expected


@pytest.mark.parametrize("name", ["../../etc/passwd.x12", ".hidden.x12", "a b/c.x12", "x" * 500 + ".x12",
                                  "claims.x12/../..", "..", "ünïcode.837"])
def test_safe_file_names_are_one_plain_component(name):
    safe = safe_file_name(name)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.[A-Za-z0-9_-]+", safe), safe
    assert "/" not in safe and not safe.startswith(".") and len(safe) <= 120


def test_a_crafted_isa13_cannot_move_the_999_out_of_the_mailbox(tmp_path):
    roster_d = w.write_roster(tmp_path / "roster.json")
    rng = random.Random(5)
    claims = [w.make_claim(i, m, rng) for i, m in enumerate(w.active_members(roster_d)[:2], 1)]
    data = w.build_file(claims, 777).decode()
    assert "000000777" in data
    data = data.replace("000000777", "../../../")          # ISA13 and IEA02, nine characters each
    base = tmp_path / "deep" / "er"
    ch = Clearinghouse(base / "mailbox", Scenario(), Roster.load(tmp_path / "roster.json"))
    (ch.inbound / "claims.837").write_text(data)
    before = {p for p in tmp_path.rglob("*")}
    report = ch.process(w.RECEIVED)
    created = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in created if ch.root.resolve() not in p.resolve().parents]
    assert outside == []
    for name in report.outputs:
        assert "/" not in name and ".." not in name and (ch.outbound / name).is_file()
    assert report.outputs, "the file produced no output at all: the case tests nothing"
