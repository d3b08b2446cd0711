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
    """`.run/` at the project root, or `BILLING_RUN_DIR` when set (tests use a private one); 0700.

    The folder is exported as `BILLING_RUN_DIR`: the domain reads its scratch folder only from
    there (include.billing.settings.work_dir), so this is where the dev default is injected, for
    this process and whatever it starts (the demo, `airflow standalone`, Celery workers).
    """
    private_umask()
    path = Path(os.environ.get("BILLING_RUN_DIR") or PROJECT_ROOT / ".run").resolve()
    os.environ.setdefault("BILLING_RUN_DIR", str(path))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if st.st_uid == os.geteuid() and st.st_mode & 0o067:
        # group search alone may stay when the folder was handed to the private PostgreSQL's server
        # group (it crosses it to .run/pg); a folder still in our own group (made before the umask,
        # e.g. by a plain mkdir) keeps nothing for the group
        keep = 0o710 if st.st_gid != os.getegid() else 0o700
        path.chmod(st.st_mode & keep)
    return path


def sub_dir(*parts: str) -> Path:
    path = run_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
