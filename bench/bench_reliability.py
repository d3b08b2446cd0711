"""Reliability and security, as figures: runs the fault-injection and PHI/security tests and
prints what they injected, scanned and checked.

    .venv/bin/python bench/bench_reliability.py

The same tests run in `make test`; this records their outcome in bench/RESULTS.md:
- tests/e2e/test_fault_matrix.py — all five DAGs, every task failing on its first tries
  (SFTP server stopping mid-transfer, database session ended at commit, crash after the work),
  each DAG's process SIGKILLed once; after every step the ledger, events, files and mail equal
  an uninterrupted copy's;
- tests/e2e/test_posting_faults.py — dropped connection and SIGKILL mid-posting, truncated,
  wrong-count and duplicate 835s;
- tests/e2e/test_claims_submission.py — crashes at each step of the delivery protocol, the
  SFTP server down and back;
- tests/e2e/test_demo.py — two `make demo` runs, their task output, task logs and XCom scanned
  for every synthetic name, birth date, member id and diagnosis code (PHI SCAN line);
- host keys checked (a wrong one refused), files holding PHI written 0600, no secrets tracked.
(SQL built from strings fails `make lint`: ruff's S608.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/e2e/test_fault_matrix.py", "tests/e2e/test_posting_faults.py",
         "tests/e2e/test_claims_submission.py::test_repeated_crashes_in_the_delivery_protocol_then_each_claim_delivered_once",
         "tests/e2e/test_claims_submission.py::test_crash_after_plan_and_after_commit",
         "tests/e2e/test_claims_submission.py::test_sftp_down_then_up",
         "tests/e2e/test_demo.py",
         "tests/unit/foundation/test_sftp_harness.py", "tests/unit/foundation/test_repository_hygiene.py",
         "tests/unit/denials/test_pdf.py", "tests/unit/sandbox/test_sftp.py"]


def main() -> int:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-rA", *TESTS], cwd=ROOT,
                            capture_output=True, text=True)
    out = result.stdout + result.stderr
    for line in out.splitlines():
        if line.startswith(("FAULT MATRIX:", "PHI SCAN:")) or re.match(r"^(PASSED|FAILED|ERROR) ", line):
            print(line)
    summary = [line for line in out.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(summary[-1].strip("= ") if summary else out[-3000:])
    print(f"wall time {time.monotonic() - started:.0f} s")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
