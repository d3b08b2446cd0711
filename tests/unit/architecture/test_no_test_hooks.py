"""Production code carries no fault-injection hooks: tests crash it through the connection and
RemoteFiles they pass in (tests/support/faults.py), never through a switch inside include/ or dags/.

Looks at code, not prose: names (functions, parameters, variables) and string literals that
name a fault, e.g. `fault_point`, `_fault(...)`, `fault=`, an env var like BILLING_*_FAULT*,
and upload callbacks that exist only for tests (`before_rename`).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HOOK_NAME = re.compile(r"(?i)(?<!de)fault|^before_rename$|^FAULTS$")
HOOK_STRING = re.compile(r"(?<!DE)FAULT")          # env var names such as BILLING_POSTING_FAULT


def hooks_in(source: str) -> list[str]:
    """Where `source` names a fault hook: 'line: token'. Comments and docstrings don't count."""
    found = []
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        docstring = tok.type == tokenize.STRING and previous in (None, tokenize.INDENT, tokenize.NEWLINE)
        if tok.type == tokenize.NAME and HOOK_NAME.search(tok.string):
            found.append(f"{tok.start[0]}: {tok.string}")
        elif tok.type == tokenize.STRING and not docstring and HOOK_STRING.search(tok.string):
            found.append(f"{tok.start[0]}: {tok.string}")
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            previous = tok.type
    return found


def test_include_and_dags_have_no_fault_hooks():
    found = {}
    for folder in ("include", "dags"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            hits = hooks_in(path.read_text())
            if hits:
                found[str(path.relative_to(ROOT))] = hits
    assert found == {}, f"test hooks in production code (move them to tests/support/faults.py): {found}"


def test_the_check_finds_each_shape_of_hook():
    # the three shapes that used to live in include/billing, each caught
    assert hooks_in('import os\ndef fault_point(name):\n    os.environ.get("BILLING_SUBMISSION_FAULTS")\n')
    assert hooks_in("def post(conn, *, fault=None):\n    _fault('after_status', fault)\n")
    assert hooks_in('x = os.environ.get("BILLING_POSTING_FAULT")\n')
    assert hooks_in("upload(remote, data, before_rename=cb)\n")
    # and ordinary code is not flagged
    assert hooks_in('"""A fault here is explained in the docstring."""\nDEFAULT_ARGS = {}\n'
                    "x = d.setdefault('k', DEFAULTS)  # a pipeline fault, in a comment\n") == []
