"""Statement outputs against real components: PDFs printed by headless Chromium and read back
with pypdf, the vendor file delivered to a real sshd exactly once (0600), the guarantor e-mail
received by a real SMTP server (aiosmtpd). Amounts hand-worked as in test_patient_accounts."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import shutil
import stat
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from include.billing import patient_accounts as pa
from include.billing import statements as st
from include.billing.transport import SftpFiles
from tests.unit.patient.test_patient_accounts import ACTOR, APR1, add_guarantor, adjudicate, balance, key_of
from tests.unit.posting.factory import seed_practice

D = Decimal
chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")


def _family(db):
    """Guarantor G100 (e-mail) with two dependents: 50.00 and 15.00 due, a third visit pending;
    patient 4 is their own guarantor with 20.00 due and no e-mail."""
    c1, c2, c3, c4 = seed_practice(db, 4)
    gid = add_guarantor(db, "G100", "riley@example.org")
    db.execute("UPDATE pm.patients SET guarantor_id = %s, guarantor_relationship = 'parent' WHERE id = ANY(%s)",
               (gid, [c1["patient_id"], c2["patient_id"]]))
    db.execute("UPDATE pm.visits SET patient_id = %s WHERE id = (SELECT visit_id FROM billing.claims WHERE id = %s)",
               (c2["patient_id"], c3["id"]))
    db.commit()
    adjudicate(db, [(c1, {"deductible": D("50.00")}), (c2, {"copay": D("10.00"), "coinsurance": D("5.00")}),
                    (c4, {"coinsurance": D("20.00")})])
    return c1, c2, c3, c4


@pytest.fixture
def remote(sftp_server):
    import paramiko

    (sftp_server.root / "statements").mkdir()
    key = paramiko.Ed25519Key.from_private_key_file(str(sftp_server.private_key))
    transport = paramiko.Transport((sftp_server.host, sftp_server.port))
    transport.connect(username=sftp_server.user, pkey=key)
    client = paramiko.SFTPClient.from_transport(transport)
    client.chdir(str(sftp_server.root))
    try:
        yield SftpFiles(client)
    finally:
        transport.close()


def _run_day(db, remote, day):
    st.run_statements(db, day, actor=ACTOR)
    st.render_statement_pdfs(db)
    st.build_vendor_file(db, day)
    return st.deliver_vendor_files(db, remote)


@chromium
def test_twice_on_the_same_day_sends_nothing_twice_and_pdfs_match_balances(db, remote, sftp_server):
    from pypdf import PdfReader

    _, _, _, c4 = _family(db)
    first = _run_day(db, remote, APR1)
    second = _run_day(db, remote, APR1)
    assert first == {"uploaded": 1, "already_delivered": 0}
    assert second == {"uploaded": 0, "already_delivered": 0}
    assert db.execute("SELECT count(*) FROM billing.statements").fetchone()[0] == 2
    assert db.execute("SELECT count(*), count(pdf) FROM billing.statement_documents").fetchone() == (2, 2)
    files = db.execute("SELECT file_name, state, statements, content FROM billing.statement_vendor_files"
                       ).fetchall()
    assert [(f[0], f[1], f[2]) for f in files] == [("statements_20260401_01.csv", "delivered", 2)]
    folder = sftp_server.root / "statements"
    assert sorted(p.name for p in folder.iterdir()) == ["statements_20260401_01.csv"]
    delivered = folder / "statements_20260401_01.csv"
    assert delivered.read_bytes() == bytes(files[0][3])
    assert stat.S_IMODE(delivered.stat().st_mode) == 0o600

    # each PDF's amount due is the guarantor's balance on the statement date
    for sid, key, pdf, sha in db.execute(
            """SELECT s.id, s.guarantor_key, d.pdf, d.sha256 FROM billing.statements s
                 JOIN billing.statement_documents d ON d.statement_id = s.id ORDER BY s.id""").fetchall():
        assert hashlib.sha256(bytes(pdf)).hexdigest() == sha
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(pdf))).pages)
        want = {"G100": D("65.00"), key_of(db, c4["patient_id"]): D("20.00")}[key]
        assert balance(db, key, APR1) == want
        assert f"Amount due: {want}" in text, text[:500]
        if key == "G100":
            assert "Insurance pending" in text and "RILEY ROE" in text

    # the vendor file: one S row per statement, one L row per line (3 for G100, 1 for the other)
    rows = list(csv.DictReader(io.StringIO(bytes(files[0][3]).decode())))
    assert [r["record_type"] for r in rows] == ["S", "L", "L", "L", "S", "L"]
    g100 = [r for r in rows if r["account_number"] == "G100"]
    assert g100[0]["amount_due"] == "65.00" and g100[0]["dunning_level"] == "first"
    assert [r["balance"] for r in g100[1:]] == ["50.00", "15.00", "0.00"]
    assert [r["insurance_pending"] for r in g100[1:]] == ["N", "N", "Y"]


def test_vendor_file_resumes_after_a_crash_between_intent_and_upload(db, tmp_path):
    from include.billing.transport import LocalFolder

    _family(db)
    st.run_statements(db, APR1, actor=ACTOR)
    file_id = st.build_vendor_file(db, APR1)
    assert st.build_vendor_file(db, APR1) is None          # nothing new for a second file
    db.execute("UPDATE billing.statement_vendor_files SET state = 'uploading' WHERE id = %s", (file_id,))
    db.commit()
    (tmp_path / "statements").mkdir()
    local = LocalFolder(tmp_path)
    assert st.deliver_vendor_files(db, local) == {"uploaded": 1, "already_delivered": 0}
    assert st.deliver_vendor_files(db, local) == {"uploaded": 0, "already_delivered": 0}
    # a crash after the rename, before the outcome: the file is seen there and not sent again
    db.execute("UPDATE billing.statement_vendor_files SET state = 'uploading' WHERE id = %s", (file_id,))
    db.commit()
    assert st.deliver_vendor_files(db, local) == {"uploaded": 0, "already_delivered": 1}
    assert sorted(p.name for p in (tmp_path / "statements").iterdir()) == ["statements_20260401_01.csv"]


def test_notice_says_ready_with_no_amount_no_names_beyond_salutation_no_attachment(db, smtp_server):
    import smtplib

    _family(db)
    st.run_statements(db, APR1, actor=ACTOR)
    with smtplib.SMTP("127.0.0.1", smtp_server.port) as client:
        assert st.send_statement_notices(db, client, sender="billing@clinic.example") == {"sent": 1}
        assert st.send_statement_notices(db, client, sender="billing@clinic.example") == {"sent": 0}
    (mail,) = smtp_server.messages          # only G100 has an e-mail; sent once
    assert mail.rcpt_tos == ["riley@example.org"]
    msg = message_from_bytes(mail.content, policy=default_policy)
    assert not msg.is_multipart() and not list(msg.iter_attachments())
    body = msg.get_content()
    assert body.startswith("Dear RILEY ROE,")
    after = body.split("\n", 1)[1]
    for forbidden in ("65.00", "50.00", "15.00", "RILEY", "ROE", "PAT1", "PAT2", "DOE", "$"):
        assert forbidden not in after and forbidden not in msg["Subject"]


def test_pdf_files_exported_0600(db, tmp_path):
    _family(db)
    st.run_statements(db, APR1, actor=ACTOR)
    out = st.render_statement_pdfs(db)
    assert out["rendered"] == 2
    sid = db.execute("SELECT min(statement_id) FROM billing.statement_documents WHERE pdf IS NOT NULL").fetchone()[0]
    if sid is None:
        pytest.skip("Chromium is not installed")
    path = st.export_pdf(db, sid, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes().startswith(b"%PDF")


def test_demo_guarantors_pay_deterministically(db):
    cs = seed_practice(db, 12)
    adjudicate(db, [(c, {"deductible": D("40.00")}) for c in cs])
    st.run_statements(db, APR1, actor=ACTOR)
    day = APR1 + dt.timedelta(days=25)
    a = st.simulate_guarantor_payments(db, day, seed=3)
    again = st.simulate_guarantor_payments(db, day, seed=3)
    assert again == {"full": 0, "partial": 0, "none": a["none"], "overpaid": 0, "desk": 0}
    assert a["full"] + a["partial"] + a["none"] == 12 and a["overpaid"] == 1
    out = pa.post_pm_payments(db, actor=ACTOR)
    assert out["posted"] == a["full"] + a["partial"] and out["credit_balances"] == 1
    # the overpayment is exactly 25.00 over a 40.00 balance
    assert db.execute("SELECT amount FROM billing.credit_balances").fetchone()[0] == D("25.00")
