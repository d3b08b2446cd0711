"""The report as a MIME message: multipart/mixed [ multipart/related [ multipart/alternative
[text, html], inline PNGs with Content-IDs ], CSV / XLSX attachments ]."""

from __future__ import annotations

import mimetypes
import smtplib
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path


def parse_recipients(value) -> list[str]:
    """'a@x, b@y' or a list -> ['a@x', 'b@y']; blanks dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [i.strip() for i in items if i and i.strip()]


def build_message(bundle, recipients: list[str], sender: str) -> EmailMessage:
    if not recipients:
        raise ValueError("the billing report has no recipients: set the 'recipients' param or the "
                         "Airflow Variable billing_report_recipients (comma-separated)")
    msg = EmailMessage()
    msg["Subject"] = bundle.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(bundle.text_summary())
    msg.add_alternative(Path(bundle.html_path).read_text(encoding="utf-8"), subtype="html")
    html_part = msg.get_payload()[1]
    for cid, path in bundle.charts.items():
        # related to the html part so clients resolve cid:<name> inline
        html_part.add_related(Path(path).read_bytes(), maintype="image", subtype="png", cid=f"<{cid}>",
                              filename=Path(path).name, disposition="inline")
    for path in bundle.attachments:
        path = Path(path)
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".xlsx":
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


def deliver(client, msg: EmailMessage, recipients: list[str], sender: str) -> None:
    """Send through an open smtplib client (plain smtplib, or the one an Airflow SmtpHook opened)."""
    refused = client.send_message(msg, from_addr=sender, to_addrs=recipients)
    if refused:
        raise RuntimeError(f"SMTP server refused {len(refused)} of {len(recipients)} recipients")


@contextmanager
def smtp_client(connection):
    """An open, logged-in smtplib client for an Airflow SMTP connection, read through its public fields.

    The extras mean what they mean to Airflow's SmtpHook (disable_ssl, disable_tls, timeout,
    ssl_context "none"): a report is a multipart/related message the hook's send_email_smtp cannot
    build, and the hook keeps its own client private. OAuth2 is not supported here.
    """
    extra = connection.extra_dejson
    use_ssl = not extra.get("disable_ssl", False)
    context = None if extra.get("ssl_context") == "none" else ssl.create_default_context()
    kwargs = {"host": connection.host or "", "timeout": int(extra.get("timeout", 30))}
    if connection.port:
        kwargs["port"] = connection.port
    client = smtplib.SMTP_SSL(context=context, **kwargs) if use_ssl else smtplib.SMTP(**kwargs)
    with client:
        if not use_ssl and not extra.get("disable_tls", False):
            client.starttls(context=context)
            client.ehlo()
        if connection.login and connection.password:
            client.login(connection.login, connection.password)
        yield client
