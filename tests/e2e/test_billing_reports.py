"""billing_reports end to end: dag.test() against the real Postgres ledger and a real SMTP
server (aiosmtpd on a loopback port); the received message is taken apart and checked."""

from __future__ import annotations

import io
import json
from email import message_from_bytes, policy

import pandas as pd
import pytest

from tests.support.airflow_run import airflow_connections, load_dag, run_dag
from tests.unit.reports import ledger

pytestmark = pytest.mark.e2e


def test_dag_emails_and_archives_the_report(db_url, airflow_home, smtp_server, tmp_path, monkeypatch):
    import psycopg
    from openpyxl import load_workbook

    with psycopg.connect(db_url) as conn:
        ledger.build(conn)
    reports_dir = tmp_path / "reports"
    monkeypatch.setenv("BILLING_REPORTS_DIR", str(reports_dir))
    # recipients from the Airflow Variable (the param is left empty)
    monkeypatch.setenv("AIRFLOW_VAR_BILLING_REPORT_RECIPIENTS", "manager@clinic.example, billing@clinic.example")
    smtp = json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_server.port,
                       "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "reports@clinic.example"}})

    dag = load_dag("billing_reports")
    with airflow_connections(billing_db=db_url, billing_smtp=smtp):
        dag_run = run_dag(dag, conf={"as_of": "2026-03-31", "period": "month_end"})

    # XCom: artefact ids and counts only
    for ti in dag_run.get_task_instances():
        value = ti.xcom_pull(task_ids=ti.task_id)
        assert "Testpatient" not in repr(value) and "MRN" not in repr(value)

    assert len(smtp_server.messages) == 1
    mail_from, rcpt, raw = (lambda m: (m.mail_from, m.rcpt_tos, m.content))(smtp_server.messages[0])
    assert mail_from == "reports@clinic.example"
    assert sorted(rcpt) == ["billing@clinic.example", "manager@clinic.example"]
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"].startswith("Month-end billing summary")
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "First-pass acceptance" in html and "69.2%" in html                # 9 of 13 (tests/unit/reports)
    cids = {p["Content-ID"].strip("<>"): p for p in msg.walk() if p.get_content_type() == "image/png"}
    referenced = {ref for ref in ("ar_aging", "denial_reasons", "fpar_trend", "days_in_ar_trend") if f"cid:{ref}" in html}
    assert referenced == set(cids) and len(cids) == 4
    assert all(p.get_content()[:4] == b"\x89PNG" for p in cids.values())

    attachments = {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}
    by_payer = pd.read_csv(io.BytesIO(attachments["billing-report-month_end-2026-03-31-ar_by_payer.csv"]))
    assert list(by_payer["claims"]) == [8, 4] and "claim_number" not in by_payer.columns
    assert by_payer["payer_balance"].sum() == pytest.approx(1755.00)
    denials = pd.read_csv(io.BytesIO(attachments["billing-report-month_end-2026-03-31-denials_by_reason.csv"]))
    assert list(denials["reason_code"]) == ["CARC_CO-16"] and list(denials["work_items"]) == [1]
    wb = load_workbook(io.BytesIO(attachments["billing-report-month_end-2026-03-31.xlsx"]))
    assert wb.sheetnames == ["A-R by payer", "A-R by age bucket", "A-R by provider", "Denials to review by reason",
                             "Payment postings by payer"]
    assert wb["A-R by payer"].max_row == 3
    sheets = pd.read_excel(io.BytesIO(attachments["billing-report-month_end-2026-03-31.xlsx"]), sheet_name=None)
    assert len(sheets["Payment postings by payer"]) == 2
    for name, content in attachments.items():
        text = content.decode("latin-1")
        assert "Testpatient" not in text and "1980-01-01" not in text and "V0000005P1" not in text, name

    # the report lives in the artefact store (XCom carried ids, never paths), named by the run that wrote it
    xcoms = {ti.task_id: ti.xcom_pull(task_ids=ti.task_id) for ti in dag_run.get_task_instances()}
    assert isinstance(xcoms["compute_metrics"]["state"], int)
    ids = xcoms["render_report"]["artefacts"]
    with psycopg.connect(db_url) as conn:
        stored = {name: (kind, bytes(content), dag_id, task_id, run_id, try_number) for name, kind, content, dag_id,
                  task_id, run_id, try_number in conn.execute(
                      """SELECT name, kind, content, dag_id, task_id, run_id, try_number FROM billing.artefacts
                         WHERE id = ANY(%s)""", (list(ids.values()),))}
        index = json.loads(bytes(conn.execute(
            "SELECT content FROM billing.artefacts WHERE id = %s", (xcoms["archive_report"]["archive"],)).fetchone()[0]))
    assert {"billing-report-month_end-2026-03-31.html", "billing-report-month_end-2026-03-31.json",
            "billing-report-month_end-2026-03-31.xlsx", "ar_aging.png", "manifest.json"} <= set(stored)
    assert all(v[2:] == ("billing_reports", "render_report", dag_run.run_id, 1) for v in stored.values())
    assert stored["ar_aging.png"][0] == "report_chart" and stored["ar_aging.png"][1][:4] == b"\x89PNG"
    assert stored["billing-report-month_end-2026-03-31.xlsx"][1] == attachments["billing-report-month_end-2026-03-31.xlsx"]
    assert index["artefacts"] == ids and index["as_of"] == "2026-03-31"
    numbers = json.loads(stored["billing-report-month_end-2026-03-31.json"][1])
    assert numbers["kpis"]["first_pass_acceptance_rate"] == "0.6923"
    assert numbers["kpis"]["days_in_ar"] == "58.2"

    # BILLING_REPORTS_DIR set: a copy for people who want files
    names = {p.name for p in (reports_dir / "2026-03-31").iterdir()}
    assert {"billing-report-month_end-2026-03-31.html", "billing-report-month_end-2026-03-31.xlsx"} <= names


def test_schedule_hour_and_params_come_from_the_environment(airflow_home, monkeypatch):
    monkeypatch.setenv("BILLING_REPORT_HOUR", "7")
    dag = load_dag("billing_reports")
    assert dag.timetable.description == "At 07:00"
    assert set(dag.params) == {"period", "as_of", "recipients"}
    assert dag.params["period"] == "daily" and not dag.catchup
    assert all(t.retries >= 2 for t in dag.tasks)
    assert [t.task_id for t in dag.topological_sort()] == ["compute_metrics", "render_report", "send_email",
                                                          "archive_report"]
    monkeypatch.setenv("BILLING_REPORT_HOUR", "25")
    with pytest.raises(ValueError, match="BILLING_REPORT_HOUR gives '0 25 \\* \\* \\*'"):
        load_dag("billing_reports")
    monkeypatch.setenv("BILLING_REPORT_SCHEDULE", "*/5 * * *")     # four fields: a typo'd cron
    with pytest.raises(ValueError, match=r"BILLING_REPORT_SCHEDULE gives '\*/5 \* \* \*'"):
        load_dag("billing_reports")
