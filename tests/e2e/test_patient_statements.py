"""The patient_statements DAG end to end: a lockbox file on the SFTP mailbox and one in the run
folder, PM payments, the statement run, PDFs (Chromium), the vendor file to a real sshd, the
e-mail to a real SMTP server. Run twice on the same day: nothing is sent twice."""

from __future__ import annotations

import stat
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy

import psycopg
import pytest

from tests.support.airflow_run import airflow_connections, load_dag, run_dag
from tests.unit.patient.test_statement_outputs import _family

D = Decimal


@pytest.fixture
def env(db_url, sftp_server, smtp_server, tmp_path, monkeypatch, airflow_home):
    import json

    for name in ("statements", "lockbox", "lockbox/archive"):
        (sftp_server.root / name).mkdir(parents=True)
    monkeypatch.setenv("BILLING_STATEMENT_VENDOR_FOLDER", str(sftp_server.root / "statements"))
    monkeypatch.setenv("BILLING_LOCKBOX_SFTP_FOLDER", str(sftp_server.root / "lockbox"))
    monkeypatch.setenv("BILLING_LOCKBOX_SFTP_ARCHIVE", str(sftp_server.root / "lockbox/archive"))
    monkeypatch.setenv("BILLING_LOCKBOX_DIR", str(tmp_path / "lockbox"))
    monkeypatch.setenv("BILLING_SFTP_CONNECT_ATTEMPTS", "1")
    (tmp_path / "lockbox").mkdir()
    smtp = json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_server.port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "billing@clinic.example"}})
    with airflow_connections(billing_db=db_url, clearinghouse_sftp=sftp_server.airflow_conn_json(),
                             statement_vendor=sftp_server.airflow_conn_json(), billing_smtp=smtp):
        yield {"db_url": db_url, "root": sftp_server.root, "local": tmp_path / "lockbox", "smtp": smtp_server}


def test_dag_twice_on_one_day_sends_nothing_twice(env):
    with psycopg.connect(env["db_url"]) as db:
        _, _, _, c4 = _family(db)          # G100 owes 65.00 (+ a pending visit); patient 4 owes 20.00
        key4 = db.execute("SELECT guarantor_key FROM billing.patient_guarantors WHERE patient_id = %s",
                          (c4["patient_id"],)).fetchone()[0]
        db.execute("""INSERT INTO pm.patient_payments (reference, guarantor_id, payment_date, amount, method)
                      SELECT 'DESK-9', id, DATE '2026-03-30', 15.00, 'card' FROM pm.guarantors""")
        db.commit()
    header = "reference,account_number,visit_number,payment_date,amount,method\n"
    (env["root"] / "lockbox" / "bank_0330.csv").write_text(header + f"LB-1,{key4},,2026-03-30,5.00,check\n")
    (env["local"] / "web_0330.csv").write_text(header + "LB-2,G100,,2026-03-30,10.00,card\n"
                                               "LB-3,G100,,2026-03-30,-1,card\n")
    dag = load_dag("patient_statements")
    for _ in range(2):
        run_dag(dag, conf={"as_of": "2026-04-01T07:00:00+00:00"})

    with psycopg.connect(env["db_url"]) as db:
        # G100: 65.00 − 15.00 desk − 10.00 web = 40.00; patient 4: 20.00 − 5.00 bank = 15.00
        due = dict(db.execute("SELECT guarantor_key, amount_due FROM billing.statements").fetchall())
        assert due == {"G100": D("40.00"), key4: D("15.00")}
        assert db.execute("SELECT count(*), count(pdf) FROM billing.statement_documents").fetchone() == (2, 2)
        assert db.execute("SELECT count(*) FROM billing.patient_payments").fetchone()[0] == 3
        assert db.execute("SELECT errors FROM billing.lockbox_files WHERE file_name = 'web_0330.csv'"
                          ).fetchone()[0] == [{"line": 3, "reason": "amount must be greater than zero"}]
        assert db.execute("SELECT file_name, state FROM billing.statement_vendor_files").fetchall() == [
            ("statements_20260401_01.csv", "delivered")]
    sent = sorted(p.name for p in (env["root"] / "statements").iterdir())
    assert sent == ["statements_20260401_01.csv"]
    assert stat.S_IMODE((env["root"] / "statements" / sent[0]).stat().st_mode) == 0o600
    assert sorted(p.name for p in (env["root"] / "lockbox" / "archive").iterdir()) == ["bank_0330.csv"]
    assert (env["local"] / "done" / "web_0330.csv").exists()
    # one e-mail (only G100 has an address), once
    (mail,) = env["smtp"].messages
    assert mail.rcpt_tos == ["riley@example.org"]
    body = message_from_bytes(mail.content, policy=default_policy).get_content()
    assert "40.00" not in body and "ready" in body
