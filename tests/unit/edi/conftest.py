"""Helpers for the edi tests (no fixtures that touch a database or Airflow)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# public X12 samples, copied into the repository with their licences (tests/fixtures/x12-samples/README.md)
SAMPLES = ROOT / "tests" / "fixtures" / "x12-samples"


def sample_files():
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.parent != SAMPLES)
