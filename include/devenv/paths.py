"""The run folder: everything a local run makes lives under `.run/` at the project root."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_dir() -> Path:
    """`.run/` at the project root, or `BILLING_RUN_DIR` when set (tests use a private one)."""
    path = Path(os.environ.get("BILLING_RUN_DIR") or PROJECT_ROOT / ".run").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(*parts: str) -> Path:
    path = run_dir().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
