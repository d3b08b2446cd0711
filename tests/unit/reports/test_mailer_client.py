"""mailer.smtp_client opens the SMTP client from a connection's public fields, with SmtpHook's extras."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from types import SimpleNamespace

import pytest

from include.billing.reports.mailer import deliver, smtp_client


def _connection(port: int, **extra) -> SimpleNamespace:
    # the fields of an Airflow Connection the client reads (what SmtpHook.get_connection returns)
    return SimpleNamespace(host="127.0.0.1", port=port, login=None, password=None,
                           extra_dejson=json.loads(json.dumps(extra)))


def test_plain_smtp_when_the_connection_disables_ssl_and_tls(smtp_server):
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "report", "reports@practice.example", "manager@practice.example"
    msg.set_content("numbers")
    with smtp_client(_connection(smtp_server.port, disable_ssl=True, disable_tls=True)) as client:
        deliver(client, msg, ["manager@practice.example"], "reports@practice.example")
    assert [m.rcpt_tos for m in smtp_server.messages] == [["manager@practice.example"]]
    assert b"Subject: report" in smtp_server.messages[0].content


def test_starttls_is_asked_for_unless_disabled(smtp_server):
    # the test server offers no STARTTLS: a connection that doesn't disable TLS must not fall back to plain text
    with pytest.raises(smtplib.SMTPNotSupportedError):
        with smtp_client(_connection(smtp_server.port, disable_ssl=True)):
            pass
    assert smtp_server.messages == []
