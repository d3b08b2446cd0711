"""Remote files (the clearinghouse mailbox) behind a small interface, and the atomic upload.

The domain never imports Airflow or paramiko: a DAG passes `SftpFiles` around the paramiko
SFTP client that Airflow's SFTPHook opened (host key checked by the hook), tests may pass
`LocalFolder`. Paths are relative to the SFTP login folder or absolute.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import posixpath
from pathlib import Path
from typing import Protocol


class TransportError(Exception):
    """The remote side could not be reached or refused an operation; retrying may help."""


DEFAULT_MAX_READ_BYTES = 500 * 1024 * 1024


def max_read_bytes() -> int:
    """The largest remote file we read into memory: BILLING_SFTP_MAX_FILE_BYTES (default 500 MB)."""
    return int(os.environ.get("BILLING_SFTP_MAX_FILE_BYTES") or DEFAULT_MAX_READ_BYTES)


class FileTooLargeError(ValueError):
    """A remote file is larger than we read; it is quarantined, not retried."""

    def __init__(self, path: str, size: int, limit: int):
        super().__init__(f"{path} is {size:,} bytes, more than the {limit:,}-byte limit for one file "
                         f"(BILLING_SFTP_MAX_FILE_BYTES); it is not read")
        self.path, self.size, self.limit = path, size, limit


class InsecureConnectionError(ValueError):
    """A connection is configured to send PHI or credentials without protection; retrying won't help."""


SFTP_HOST_KEY_SWITCHES = ("no_host_key_check", "allow_host_key_change")


def is_loopback(host: str | None) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1); names are not resolved."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def eligibility_url(schema: str | None, host: str | None, port: int | None, path: str = "/x12/270",
                    conn_id: str = "eligibility_api") -> str:
    """The real-time eligibility endpoint of an HTTP connection: https, unless the host is loopback.

    270s carry names, birth dates and member ids, and the request carries basic-auth
    credentials: http is refused for any host but this machine, and an unset schema means
    https (http for a loopback host, which never leaves the machine).
    """
    scheme = (schema or ("http" if is_loopback(host) else "https")).lower()
    if scheme not in ("http", "https"):
        raise InsecureConnectionError(f"connection {conn_id!r}: schema {schema!r} is not http or https")
    if not host:
        raise InsecureConnectionError(f"connection {conn_id!r} has no host")
    if scheme == "http" and not is_loopback(host):
        raise InsecureConnectionError(
            f"connection {conn_id!r} would send eligibility requests (PHI and credentials) in clear text to "
            f"{host}: set its schema to https (http is accepted for a loopback host only)")
    netloc = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{netloc}:{port or (443 if scheme == 'https' else 80)}{path}"


def check_sftp_extras(extra: dict | None, conn_id: str = "clearinghouse_sftp") -> None:
    """Refuse an SFTP connection whose extras turn host-key checking off.

    Without the check anyone on the path can pose as the clearinghouse and collect every 837P.
    Any value of `no_host_key_check` or `allow_host_key_change` but false is refused.
    """
    for key in SFTP_HOST_KEY_SWITCHES:
        value = (extra or {}).get(key)
        if value is not None and str(value).strip().lower() not in ("false", "0", "no", "off", ""):
            raise InsecureConnectionError(
                f"connection {conn_id!r} sets {key}={value!r}: host-key checking cannot be turned off. "
                f"Remove it and pin the clearinghouse's key (the `host_key` extra or ~/.ssh/known_hosts).")


class RemoteFiles(Protocol):
    def size(self, path: str) -> int | None: ...          # None when the file does not exist
    def write(self, path: str, data: bytes) -> None: ...  # create or truncate
    def rename(self, src: str, dst: str) -> None: ...     # replaces dst when the server allows
    def listdir(self, path: str) -> list[str]: ...
    def read(self, path: str) -> bytes: ...               # FileTooLargeError above the size cap
    def remove(self, path: str) -> None: ...


class SftpFiles:
    """RemoteFiles over a paramiko SFTPClient (what SFTPHook.get_conn() returns)."""

    def __init__(self, client, max_read_bytes: int | None = None):
        self.client = client
        self.max_read_bytes = max_read_bytes or DEFAULT_MAX_READ_BYTES

    def size(self, path: str) -> int | None:
        try:
            return self.client.stat(path).st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise

    def write(self, path: str, data: bytes) -> None:
        with self.client.open(path, "wb") as fh:
            fh.chmod(0o600)             # EDI files hold PHI: the remote copy too, before any byte
            fh.set_pipelined(True)
            fh.write(data)

    def rename(self, src: str, dst: str) -> None:
        # posix-rename@openssh.com replaces atomically; plain SFTP rename refuses an existing target
        if hasattr(self.client, "posix_rename"):
            self.client.posix_rename(src, dst)
        else:
            self.client.rename(src, dst)

    def listdir(self, path: str) -> list[str]:
        return sorted(self.client.listdir(path))

    def read(self, path: str) -> bytes:
        with self.client.open(path, "rb") as fh:
            size = fh.stat().st_size
            if size > self.max_read_bytes:
                raise FileTooLargeError(path, size, self.max_read_bytes)
            fh.prefetch(size)
            data = fh.read(self.max_read_bytes + 1)      # a file still growing stops at the cap too
        if len(data) > self.max_read_bytes:
            raise FileTooLargeError(path, len(data), self.max_read_bytes)
        return data

    def remove(self, path: str) -> None:
        self.client.remove(path)


class LocalFolder:
    """RemoteFiles over a local folder (the sandbox mailbox on this machine)."""

    def __init__(self, root: str | Path, max_read_bytes: int | None = None):
        self.root = Path(root)
        self.max_read_bytes = max_read_bytes or DEFAULT_MAX_READ_BYTES

    def _p(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p

    def size(self, path: str) -> int | None:
        try:
            return self._p(path).stat().st_size
        except FileNotFoundError:
            return None

    def write(self, path: str, data: bytes) -> None:
        p = self._p(path)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # EDI files hold PHI
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def rename(self, src: str, dst: str) -> None:
        os.replace(self._p(src), self._p(dst))

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(self._p(path)))

    def read(self, path: str) -> bytes:
        with open(self._p(path), "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > self.max_read_bytes:
                raise FileTooLargeError(path, size, self.max_read_bytes)
            data = fh.read(self.max_read_bytes + 1)
        if len(data) > self.max_read_bytes:
            raise FileTooLargeError(path, len(data), self.max_read_bytes)
        return data

    def remove(self, path: str) -> None:
        self._p(path).unlink()


def upload_atomically(remote: RemoteFiles, data: bytes, folder: str, name: str, *,
                      also_look_in: tuple[str, ...] = ()) -> str:
    """Put `data` at folder/name so that no partial file is ever visible under `name`.

    Writes folder/name.part, then renames it to folder/name. If folder/name (or the same name
    in one of `also_look_in`, e.g. where the clearinghouse archives picked-up files) already
    exists with the same size, a previous attempt delivered it: nothing is uploaded again.
    Returns 'uploaded' or 'already_delivered'. Network failures raise TransportError.
    """
    target = posixpath.join(folder, name)
    part = target + ".part"
    try:
        for where in (folder, *also_look_in):
            if remote.size(posixpath.join(where, name)) == len(data):
                return "already_delivered"
        remote.write(part, data)
        if remote.size(part) != len(data):
            raise TransportError(f"upload of {name} was cut short; it will be retried")
        remote.rename(part, target)
    except Exception as exc:
        if _is_remote_failure(exc):
            raise TransportError(f"SFTP operation on {name} failed: {exc.__class__.__name__}: {exc}") from exc
        raise
    return "uploaded"


def _is_remote_failure(exc: BaseException) -> bool:
    # paramiko's SSHException is not an OSError; recognise it without importing paramiko
    return isinstance(exc, (OSError, EOFError)) or type(exc).__module__.startswith("paramiko")
