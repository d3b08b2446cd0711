"""The run folder: everything a local run makes lives under `.run/` at the project root.

The run folder holds PHI (837Ps, 835s, reports, appeal letters, the database): it is 0700,
and a process that uses it runs with umask 077, so whatever it or its children (the
sandbox, `airflow standalone`, PostgreSQL) create there is readable by this user only.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Files and folders this process (and what it starts) creates get no group or other bits."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def run_dir() -> Path:
    """`.run/` at the project root, or `BILLING_RUN_DIR` when set (tests use a private one); 0700."""
    private_umask()
    path = Path(os.environ.get("BILLING_RUN_DIR") or PROJECT_ROOT / ".run").resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = path.stat().st_mode
    if path.stat().st_uid == os.geteuid() and mode & 0o067:
        # group search alone may stay: the private PostgreSQL's server user crosses it to .run/pg
        path.chmod(mode & 0o710)
    return path


def sub_dir(*parts: str) -> Path:
    path = run_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
