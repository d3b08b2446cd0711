"""The layer contracts of pyproject.toml [tool.importlinter] hold, and a forbidden import breaks them.

import-linter runs in a subprocess: grimp finds the root packages by import, so the copy of the tree
a test breaks must be the first thing on that process's path (this process has imported the real one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ROOT_PACKAGES = ("include", "dags", "plugins", "bench", "tests")
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(tree / "pyproject.toml")],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def _copy_tree(dest: Path) -> Path:
    """The Python files of the root packages and the contracts: all the linter reads."""
    for package in ROOT_PACKAGES:
        shutil.copytree(ROOT / package, dest / package, ignore=_not_python)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _not_python(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir() or n == "__pycache__"}


def test_the_contracts_hold_for_the_code_as_it_is():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout and "BROKEN" not in result.stdout


@pytest.mark.parametrize(("module", "source", "broken"), [
    # the domain reaching for the dev environment (what settings.py and appeals.py used to do)
    ("include/billing/sneaky.py", "from include.devenv.paths import sub_dir\n",
     "include.billing.sneaky -> include.devenv.paths"),
    # the X12 toolkit importing the domain
    ("include/edi/sneaky.py", "from include.billing.carc import describe\n",
     "include.edi.sneaky -> include.billing.carc"),
    # the sandbox using a billing internal
    ("include/sandbox/sneaky.py", "from include.billing.workqueue import release\n",
     "include.sandbox.sneaky -> include.billing.workqueue"),
    # the sandbox using a private edi module (it now takes Adjustment from include.edi.x835)
    ("include/sandbox/sneaky.py", "from include.edi._common import Adjustment\n",
     "include.sandbox.sneaky -> include.edi._common"),
    # a DAG writing SQL itself instead of calling a task function
    ("dags/sneaky.py", "from include.billing.rcm_sql import query\n", "dags.sneaky -> include.billing.rcm_sql"),
    # a DAG depending on the dev environment
    ("dags/sneaky.py", "from include.devenv.paths import sub_dir\n", "dags.sneaky -> include.devenv.paths"),
    # a cycle between two billing modules
    ("include/billing/settings.py", "from include.billing import submission  # noqa\n", ".settings -> .submission"),
])
def test_a_forbidden_import_breaks_the_contracts(tmp_path, module, source, broken):
    tree = _copy_tree(tmp_path / "tree")
    target = tree / module
    target.write_text((target.read_text() if target.exists() else "") + source)
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout + result.stderr


def test_dags_import_only_public_names_from_include_billing():
    # "public" for a DAG: a name without a leading underscore (the contracts cover the modules)
    import ast

    offenders = []
    for dag in sorted((ROOT / "dags").glob("*.py")):
        for node in ast.walk(ast.parse(dag.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("include.billing"):
                offenders += [f"{dag.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []
