"""include.edi imports nothing else of ours (issue 20: the toolkit is the bottom layer)."""
from __future__ import annotations

import ast
from pathlib import Path

EDI = Path(__file__).resolve().parents[3] / "include" / "edi"


def imports_outside_edi(source: str) -> list[str]:
    bad = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level > 1 or (node.level == 0 and (node.module or "").split(".")[0] in ("include", "dags")
                                  and not (node.module or "").startswith("include.edi")):
                bad.append(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.split(".")[0] in ("include", "dags")
                    and not a.name.startswith("include.edi")]
    return bad


def test_include_edi_imports_only_itself_the_stdlib_and_its_libraries():
    found = {p.name: imports_outside_edi(p.read_text()) for p in sorted(EDI.glob("*.py"))}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_check_sees_a_forbidden_import():
    assert imports_outside_edi("from include.billing import db\nimport include.devenv.paths\nfrom ..billing import x\n"
                               "def f():\n    from include.sandbox import y\n") == [
        "include.billing", "include.devenv.paths", "..billing", "include.sandbox"]
    assert imports_outside_edi("from .reader import x\nfrom include.edi.model import Claim837\nimport pyx12\n") == []
