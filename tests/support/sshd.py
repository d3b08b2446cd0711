"""A real OpenSSH server (Debian's openssh-server) on a high loopback port, for SFTP tests.

It runs as the current user (root in CI, anyone elsewhere: sshd on an unprivileged port
only lets that same user in), authenticates with a throwaway key pair, serves SFTP with
`internal-sftp`, and hands out its host key so clients check it rather than skip checking.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SshServer:
    host: str
    port: int
    user: str
    private_key: Path
    host_public_key: str          # "ssh-ed25519 AAAA..." as the server presents it
    root: Path                    # the folder clients see as the SFTP home (absolute paths work too)
    process: subprocess.Popen | None = None
    _args: list | None = None

    def airflow_conn_json(self) -> str:
        """An Airflow SFTP connection (JSON form) that checks the server's host key."""
        return json.dumps({
            "conn_type": "sftp",
            "host": self.host,
            "port": self.port,
            "login": self.user,
            "extra": {
                "key_file": str(self.private_key),
                "host_key": " ".join(self.host_public_key.split()[:2]),
                "no_host_key_check": "false",
            },
        })

    def stop(self) -> None:
        """Stop listening and end every open session: a client in the middle of a transfer sees
        its connection drop (OpenSSH's listener alone going away leaves sessions running)."""
        if self.process and self.process.poll() is None:
            import psutil

            for session in psutil.Process(self.process.pid).children(recursive=True):
                try:
                    session.kill()
                except psutil.NoSuchProcess:    # the session ended between the listing and the kill
                    pass
            self.process.terminate()
            self.process.wait(timeout=10)

    def start(self) -> None:
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start listening")


def start_sshd(base: Path) -> SshServer:
    if not Path(SSHD).exists():
        raise RuntimeError("sshd not found: install Debian's openssh-server (make system-deps)")
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    host_key = base / "ssh_host_ed25519_key"
    client_key = base / "client_ed25519"
    for key in (host_key, client_key):
        if not key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    authorized = base / "authorized_keys"
    authorized.write_text(client_key.with_suffix(".pub").read_text())
    authorized.chmod(0o600)
    root = base / "sftp-root"
    root.mkdir(exist_ok=True)
    port = _free_port()
    config = base / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {base / 'sshd.pid'}
AuthorizedKeysFile {authorized}
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Subsystem sftp internal-sftp -d {root}
"""
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)   # privilege-separation directory sshd insists on
    server = SshServer(
        host="127.0.0.1",
        port=port,
        user=getpass.getuser(),
        private_key=client_key,
        host_public_key=host_key.with_suffix(".pub").read_text().strip(),
        root=root,
    )
    server._args = [SSHD, "-D", "-e", "-f", str(config)]
    server.start()
    return server
