"""Rows are read by name in the patient, statement, denial, appeal and RFAI modules: their SQL is
loaded by include.billing.rcm_sql (run: named tuples; or a dict_row cursor), a row is never
unpacked by position, and SQL left inline in Python is a one-liner under a comment saying why."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODULES = ["patient_accounts", "statements", "denials", "appeals", "rfai"]
POSITIONAL = re.compile(r"\.fetch(?:one|all)\(\)\s*\[|\bfor\s+\w+\s*,[^:]*\bin\s+conn\.execute\(|\b\w+\[0\]\s+for\s+\w+\s+in\s+conn\.")
INLINE = re.compile(r"conn\.execute\(\s*[\"']")
REASON = "# inline on purpose:"


def problems(text: str) -> list[str]:
    found = []
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if POSITIONAL.search(line):
            found.append(f"{n}: a row read by position")
        if INLINE.search(line):
            if not (n > 1 and lines[n - 2].strip().startswith(REASON)):
                found.append(f"{n}: inline SQL without a reason")
            if not line.rstrip().endswith(")") or line.count("(") != line.count(")"):
                found.append(f"{n}: inline SQL longer than one line")
    return found


def test_the_modules_read_rows_by_name():
    for name in MODULES:
        assert problems((ROOT / "include" / "billing" / f"{name}.py").read_text()) == [], name


def test_a_positional_read_or_an_unexplained_inline_query_is_caught():
    bad = ('n = conn.execute(q("x")).fetchone()[0]\n'
           'for a, b in conn.execute(q("y")).fetchall():\n'
           '    pass\n'
           'row = conn.execute("SELECT id FROM billing.claims WHERE id = %s",\n'
           '                   (1,)).fetchone()\n'
           '# inline on purpose: an advisory lock\n'
           'conn.execute("SELECT pg_advisory_xact_lock(1)")\n')
    assert problems(bad) == ["1: a row read by position", "2: a row read by position",
                             "4: inline SQL without a reason", "4: inline SQL longer than one line"]
