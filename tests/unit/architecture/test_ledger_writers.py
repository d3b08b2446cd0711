"""Only the ledger package writes the ledger: an INSERT INTO (or COPY into) billing.claim_events,
billing.edi_files or billing.work_queue anywhere in include/ outside include/billing/ledger/ and
include/sql/queries/ledger/ (migrations aside) fails this test."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LEDGER_TABLES = ("claim_events", "edi_files", "work_queue")
ALLOWED = ("include/billing/ledger/", "include/sql/queries/ledger/", "include/sql/migrations/")
# across line breaks and in any case: SQL in a .sql file or in a Python string
WRITE = re.compile(r"\b(?:INSERT\s+INTO|COPY)\s+billing\.(" + "|".join(LEDGER_TABLES) + r")\b", re.IGNORECASE)


def ledger_writes(root: Path, *, allowed: tuple[str, ...] = ALLOWED) -> list[tuple[str, int, str]]:
    """(path relative to root, line, table) of every ledger write in root/include outside `allowed`."""
    found = []
    for path in sorted((root / "include").rglob("*")):
        if path.suffix not in (".py", ".sql") or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel.startswith(allowed):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in WRITE.finditer(text):
            found.append((rel, text.count("\n", 0, m.start()) + 1, m.group(1).lower()))
    return found


def test_only_the_ledger_package_writes_events_files_and_work_items():
    assert ledger_writes(ROOT) == []


def test_the_ledger_package_does_write_each_table():
    # the check above would pass vacuously if the pattern matched nothing
    tables = {t for _, _, t in ledger_writes(ROOT, allowed=("include/sql/migrations/",))}
    assert tables == set(LEDGER_TABLES)


def test_a_planted_module_that_writes_claim_events_is_caught(tmp_path):
    sneaky = tmp_path / "include" / "billing" / "sneaky.py"
    sneaky.parent.mkdir(parents=True)
    sneaky.write_text('def note(conn, claim_id):\n    conn.execute("""\n        insert into\n'
                      '            billing.claim_events (claim_id, event_type, actor) VALUES (%s, \'x\', \'t\')""",'
                      ' (claim_id,))\n')
    sql = tmp_path / "include" / "sql" / "queries" / "reports" / "copy_items.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("-- a bulk load that skips the ledger\nCOPY billing.work_queue (source) FROM STDIN\n")
    fine = tmp_path / "include" / "billing" / "ledger" / "extra.py"
    fine.parent.mkdir(parents=True)
    fine.write_text('Q = "INSERT INTO billing.edi_files (id) VALUES (1)"\n')
    assert ledger_writes(tmp_path) == [("include/billing/sneaky.py", 3, "claim_events"),
                                       ("include/sql/queries/reports/copy_items.sql", 2, "work_queue")]


# --- payments (issue 20: "it records a payment or ledger entry") -------------------------------
# Insurance payments and the patient-ledger entries posting moves are written by
# include/billing/ledger/remittance.py only. PATIENT_PAYMENT_WRITERS are the patient-payment SQL
# files that still insert into billing.patient_ledger themselves, until their move into the ledger
# package; the last test fails once one no longer does, so the exception can't outlive them.
PAYMENT_TABLES = ("claim_payments", "line_payments", "adjustments", "provider_adjustments", "patient_ledger")
PAYMENT_WRITE = re.compile(r"\b(?:INSERT\s+INTO|COPY)\s+billing\.(" + "|".join(PAYMENT_TABLES) + r")\b",
                           re.IGNORECASE)
PATIENT_PAYMENT_WRITERS = ("include/sql/queries/patient/apply_payment.sql",
                           "include/sql/queries/patient/bill_self_pay.sql")


def payment_writes(root: Path, *, allowed: tuple[str, ...] = ALLOWED) -> list[tuple[str, int, str]]:
    """(path relative to root, line, table) of every payment-table write in root/include outside `allowed`."""
    found = []
    for path in sorted((root / "include").rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix in (".py", ".sql") and path.is_file() and not rel.startswith(allowed):
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [(rel, text.count("\n", 0, m.start()) + 1, m.group(1).lower())
                      for m in PAYMENT_WRITE.finditer(text)]
    return found


def test_only_the_ledger_package_writes_payments_and_ledger_entries():
    assert [w for w in payment_writes(ROOT) if w[0] not in PATIENT_PAYMENT_WRITERS] == []


def test_the_ledger_package_does_write_each_payment_table():
    assert {t for _, _, t in payment_writes(ROOT, allowed=("include/sql/migrations/",))} == set(PAYMENT_TABLES)


def test_a_planted_payment_insert_outside_the_ledger_is_caught(tmp_path):
    sql = tmp_path / "include" / "sql" / "queries" / "posting" / "copy_line_payments.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("-- posting writing payments itself\nCOPY billing.line_payments (id) FROM STDIN\n")
    py = tmp_path / "include" / "billing" / "posting.py"
    py.parent.mkdir(parents=True)
    py.write_text('Q = """insert\n  into billing.adjustments (amount) VALUES (1)"""\n')
    fine = tmp_path / "include" / "sql" / "queries" / "ledger" / "copy_claim_payments.sql"
    fine.parent.mkdir(parents=True)
    fine.write_text("COPY billing.claim_payments (id) FROM STDIN\n")
    assert payment_writes(tmp_path) == [("include/billing/posting.py", 1, "adjustments"),
                                        ("include/sql/queries/posting/copy_line_payments.sql", 2, "line_payments")]


def test_the_patient_payment_exception_is_still_needed():
    writers = {path for path, _, table in payment_writes(ROOT) if table == "patient_ledger"}
    assert set(PATIENT_PAYMENT_WRITERS) <= writers
