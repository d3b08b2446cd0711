"""Helpers for the edi tests (no fixtures that touch a database or Airflow)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# the public samples live in shared/ beside the project (CI lays a copy there); X12_SAMPLES_DIR overrides
SAMPLES = Path(os.environ.get("X12_SAMPLES_DIR") or ROOT.parent / "shared" / "x12-samples")
if not SAMPLES.is_dir():
    raise RuntimeError(f"X12 samples not found at {SAMPLES}: set X12_SAMPLES_DIR")


def sample_files():
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.parent != SAMPLES)
