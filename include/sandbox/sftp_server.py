"""The clearinghouse's SFTP front door: an asyncssh server chrooted to the mailbox root.

Runs its own event loop in a daemon thread so that tests and the CLI can start and stop
it like any other object.  The host key is generated once and kept (0600) so clients can
pin it; ``root/.sandbox`` (the private state) is hidden from partners.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import os
import stat
import threading
from pathlib import Path

import asyncssh

HOST_KEY_NAME = "ssh_host_ed25519_key"


def ensure_host_key(keys_dir: str | Path) -> Path:
    """The ed25519 host key in ``keys_dir`` (created on first use, mode 0600)."""
    keys_dir = Path(keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    path = keys_dir / HOST_KEY_NAME
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment="sandbox-clearinghouse")
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.export_private_key())
        os.replace(tmp, path)
        path.with_name(path.name + ".pub").write_bytes(key.export_public_key())
    return path


def host_public_key(keys_dir: str | Path) -> str:
    """``"ssh-ed25519 AAAA..."``: what a client pins (e.g. the Airflow connection's host_key)."""
    key = asyncssh.read_private_key(ensure_host_key(keys_dir))
    return " ".join(key.export_public_key().decode().split()[:2])


class _MailboxSFTP(asyncssh.SFTPServer):
    """SFTP chrooted to the mailbox; the private state folder is invisible and untouchable.

    No links: creating a symbolic or hard link is refused, and so is any path that goes
    through a symbolic link (wherever it came from) or names a file with more than one link,
    so nothing in the mailbox can reach the private state or anything outside the root.
    Files are created 0600 and stay so (a partner cannot widen their mode).
    """

    def __init__(self, chan, root: bytes):
        super().__init__(chan, chroot=root)
        self._private = os.path.join(root, b".sandbox")

    def _guard(self, path: bytes) -> bytes:
        real = self.map_path(path)
        if real == self._private or real.startswith(self._private + b"/"):
            raise asyncssh.SFTPPermissionDenied("private folder")
        if os.path.realpath(real) != os.path.normpath(real):
            raise asyncssh.SFTPPermissionDenied("symbolic links are not allowed")
        try:
            st = os.lstat(real)
        except OSError:
            return real                      # does not exist (yet): the operation itself will say
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            raise asyncssh.SFTPPermissionDenied("hard links are not allowed")
        return real

    def symlink(self, oldpath, newpath):
        raise asyncssh.SFTPPermissionDenied("symbolic links are not allowed")

    def link(self, oldpath, newpath):
        raise asyncssh.SFTPPermissionDenied("hard links are not allowed")

    def readlink(self, path):
        raise asyncssh.SFTPPermissionDenied("symbolic links are not allowed")

    def fsetstat(self, file_obj, attrs):
        return super().fsetstat(file_obj, _narrowed(attrs))

    def open(self, path, pflags, attrs):
        self._guard(path)
        if pflags & asyncssh.FXF_CREAT:
            # partners' files hold PHI: created 0600 whatever mode the client asks for
            attrs = asyncssh.SFTPAttrs(permissions=0o600)
        return super().open(path, pflags, attrs)

    async def scandir(self, path):
        self._guard(path)
        async for entry in super().scandir(path):
            if entry.filename != b".sandbox":
                yield entry

    def stat(self, path):
        self._guard(path)
        return super().stat(path)

    def lstat(self, path):
        self._guard(path)
        return super().lstat(path)

    def remove(self, path):
        self._guard(path)
        return super().remove(path)

    def rename(self, oldpath, newpath):
        self._guard(oldpath)
        self._guard(newpath)
        return super().rename(oldpath, newpath)

    def posix_rename(self, oldpath, newpath):
        self._guard(oldpath)
        self._guard(newpath)
        return super().posix_rename(oldpath, newpath)

    def mkdir(self, path, attrs):
        self._guard(path)
        return super().mkdir(path, attrs)

    def rmdir(self, path):
        self._guard(path)
        return super().rmdir(path)

    def setstat(self, path, attrs):
        self._guard(path)
        return super().setstat(path, _narrowed(attrs))


def _narrowed(attrs):
    """A partner may narrow a file's mode, never open it to group or others."""
    if attrs.permissions is not None:
        attrs.permissions &= ~0o077
    return attrs


class _Auth(asyncssh.SSHServer):
    def __init__(self, user: str | None, password: str | None):
        self._user, self._password = user, password

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return self._password is not None

    def validate_password(self, username: str, password: str) -> bool:
        return (self._password is not None and hmac.compare_digest(username, self._user or "")
                and hmac.compare_digest(password, self._password))


class SandboxSFTPServer:
    """A running SFTP server: ``.host``, ``.port``, ``.host_public_key``, ``.stop()``."""

    def __init__(self, root: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                 keys_dir: str | Path | None = None, user: str | None = None, password: str | None = None,
                 authorized_keys: str | Path | None = None):
        if password is None and authorized_keys is None:
            raise ValueError("give a password or an authorized_keys file: the SFTP server never runs open")
        self.root = Path(root).resolve()
        # the clearinghouse's mailbox, plus the drops that stand in locally for the statement vendor
        # (statements/) and the bank's lockbox (lockbox/)
        for d in ("inbound", "outbound", "archive", "statements", "lockbox"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.keys_dir = Path(keys_dir) if keys_dir else self.root.parent / "sandbox-keys"
        self.host_key_path = ensure_host_key(self.keys_dir)
        self.host_public_key = host_public_key(self.keys_dir)
        self.host, self.port = host, port
        self._user, self._password = user, password
        self._authorized_keys = str(authorized_keys) if authorized_keys else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self) -> "SandboxSFTPServer":
        # asyncssh logs every channel at INFO; keep the server's own log readable
        logging.getLogger("asyncssh").setLevel(max(logging.WARNING, logging.getLogger("asyncssh").level))
        ready = threading.Event()
        error: list[BaseException] = []

        def run():
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(self._listen())
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to start()
                error.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="sandbox-sftp", daemon=True)
        self._thread.start()
        ready.wait(30)
        if error:
            raise error[0]
        return self

    async def _listen(self):
        root = os.fsencode(self.root)
        return await asyncssh.listen(
            self.host, self.port, server_host_keys=[str(self.host_key_path)],
            authorized_client_keys=self._authorized_keys,
            server_factory=lambda: _Auth(self._user, self._password),
            sftp_factory=lambda chan: _MailboxSFTP(chan, root), allow_scp=False,
            reuse_address=True)

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        loop = self._loop

        async def close():
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(10)
        self._server = None
        self._loop = None

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc):
        self.stop()


def serve_sftp(root, **kw) -> SandboxSFTPServer:
    """Start the SFTP server in a thread (``port=0`` picks a free port); ``.stop()`` ends it."""
    return SandboxSFTPServer(root, **kw).start()
