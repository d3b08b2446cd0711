"""Only the ledger package writes the ledger: anywhere in include/ outside include/billing/ledger/
and include/sql/queries/ledger/ (migrations aside) this test fails on
- an INSERT INTO (or COPY into) billing.claim_events, billing.edi_files or billing.work_queue;
- an UPDATE of (or DELETE FROM) billing.work_queue: a work item is updated and closed by the ledger;
- any write to the patient-side money tables (billing.patient_payments, payment_applications,
  credit_balances, patient_refunds, patient_ledger)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
INSERTED_ONLY = ("claim_events", "edi_files")                 # updated elsewhere (a file's state), never inserted
WRITTEN_ONLY = ("work_queue", "patient_payments", "payment_applications", "credit_balances", "patient_refunds",
                "patient_ledger")
LEDGER_TABLES = INSERTED_ONLY + WRITTEN_ONLY
ALLOWED = ("include/billing/ledger/", "include/sql/queries/ledger/", "include/sql/migrations/")
# Writers still outside the ledger, each named with its table (none now). A listed writer that is
# gone fails test_each_pending_writer_still_exists, so this list only shrinks.
PENDING: set[tuple[str, str]] = set()
_T = lambda tables: "|".join(tables)  # noqa: E731
# across line breaks and in any case: SQL in a .sql file or in a Python string
WRITE = re.compile(r"\b(?:(?:INSERT\s+INTO|COPY)\s+billing\.(" + _T(LEDGER_TABLES) + r")"
                   r"|(?:UPDATE|DELETE\s+FROM)\s+billing\.(" + _T(WRITTEN_ONLY) + r"))\b", re.IGNORECASE)


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
            found.append((rel, text.count("\n", 0, m.start()) + 1, (m.group(1) or m.group(2)).lower()))
    return found


def test_only_the_ledger_package_writes_the_ledger():
    assert [w for w in ledger_writes(ROOT) if (w[0], w[2]) not in PENDING] == []


def test_each_pending_writer_still_exists():
    # an exemption outliving its writer would hide the next one written there
    assert {(path, table) for path, _, table in ledger_writes(ROOT)} >= PENDING


def test_the_ledger_package_does_write_each_table():
    # the check above would pass vacuously if the pattern matched nothing
    ledger = {t for p, _, t in ledger_writes(ROOT, allowed=("include/sql/migrations/",))
              if p.startswith(("include/billing/ledger/", "include/sql/queries/ledger/"))}
    assert ledger == set(LEDGER_TABLES)


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


def test_a_planted_work_item_update_or_money_write_is_caught(tmp_path):
    closer = tmp_path / "include" / "billing" / "closer.py"
    closer.parent.mkdir(parents=True)
    closer.write_text('def close(conn, item_id):\n'
                      '    conn.execute("UPDATE billing.work_queue SET state = \'resolved\' WHERE id = %s", (item_id,))\n'
                      'def forget(conn, item_id):\n'
                      '    conn.execute("delete  from billing.work_queue WHERE id = %s", (item_id,))\n')
    money = tmp_path / "include" / "sql" / "queries" / "patient" / "take_payment.sql"
    money.parent.mkdir(parents=True)
    money.write_text("INSERT INTO billing.patient_payments (amount) VALUES (1);\n"
                     "UPDATE billing.credit_balances SET state = 'refunded';\n"
                     "UPDATE billing.edi_files SET state = 'processed';\n")      # a file's state: not a ledger write
    assert ledger_writes(tmp_path) == [("include/billing/closer.py", 2, "work_queue"),
                                       ("include/billing/closer.py", 4, "work_queue"),
                                       ("include/sql/queries/patient/take_payment.sql", 1, "patient_payments"),
                                       ("include/sql/queries/patient/take_payment.sql", 2, "credit_balances")]


# --- payments (issue 20: "it records a payment or ledger entry") -------------------------------
# Insurance payments and the patient-ledger entries posting moves are written by
# include/billing/ledger/remittance.py only (the patient side's by ledger/patient_payments.py).
PAYMENT_TABLES = ("claim_payments", "line_payments", "adjustments", "provider_adjustments", "patient_ledger")
PAYMENT_WRITE = re.compile(r"\b(?:INSERT\s+INTO|COPY)\s+billing\.(" + "|".join(PAYMENT_TABLES) + r")\b",
                           re.IGNORECASE)


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
    assert payment_writes(ROOT) == []


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

