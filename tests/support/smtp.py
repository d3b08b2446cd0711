"""A real SMTP server (aiosmtpd) on a loopback port that keeps what it receives, for tests."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from tests.support.sshd import _free_port


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class SmtpInbox:
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):      # aiosmtpd's handler hook
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@contextlib.contextmanager
def running_smtp_server():
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
