"""A local SMTP server that keeps every message as an .eml file (the demo's mail sink).

    python -m include.devenv.mailsink --port 8025 --dir .run/mail

The billing report DAG sends through the `billing_smtp` connection exactly as it would to a
real relay; here the message lands in a folder where a person can open it.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: one .eml per message, named by arrival time and a counter."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = 0

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._count += 1
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{self._count:04d}.eml"
        message = message_from_bytes(envelope.content, policy=policy.default)
        if "X-Envelope-To" not in message:
            # keep the envelope recipients (Bcc are not in the headers)
            envelope_header = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
            content = envelope_header + envelope.content
        else:
            content = envelope.content
        path = self.folder / name
        # reports carry no PHI, but mail in general may: keep it private
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        return "250 Message accepted for delivery"


def start_mail_sink(folder: Path, host: str = "127.0.0.1", port: int = 0) -> Controller:
    """Start the sink in a background thread; `controller.port` is the port it listens on."""
    if port == 0:
        import socket

        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    controller = Controller(SaveToFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m include.devenv.mailsink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    controller = start_mail_sink(args.dir, args.host, args.port)
    print(f"mail sink on {args.host}:{controller.port}, saving to {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
