"""`make bench`: run every benchmark in one go and write bench/RESULTS.md.

Each benchmark prints its own figures and ratios against a baseline measured in the same
run; this collects their output under a description of the machine. The fuzzer
(bench/fuzz_x12.py, 100,000 inputs) runs here too and on its own as `make fuzz`;
bench_reliability runs the fault-injection and PHI/security tests (it needs `make system-deps`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ["bench_edi.py", "bench_seed.py", "bench_sandbox.py", "bench_submission.py", "bench_posting.py",
         "bench_large_835.py", "bench_reports.py", "bench_ui.py", "bench_reliability.py", "fuzz_x12.py",
         "bench_scale.py"]


def machine() -> str:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def earlier_sections(results: Path) -> dict[str, str]:
    """The sections of an earlier RESULTS.md by benchmark file name, kept when only some are re-run."""
    if not results.exists():
        return {}
    kept: dict[str, str] = {}
    for chunk in results.read_text().split("\n## ")[1:]:
        name = chunk.split(" ", 1)[0]
        kept[name] = kept.get(name, "") + ("\n" if name in kept else "") + "## " + chunk.rstrip() + "\n"
    return kept


def main(argv: list[str]) -> int:
    only = set(argv)
    results = BENCH / "RESULTS.md"
    kept = earlier_sections(results) if only else {}
    where = machine()
    sections = ["# Benchmark results\n\nWritten by `make bench` (bench/run_all.py); each section says when and on "
                "what machine it ran, because `make bench BENCH=name` re-runs one and keeps the others.\n"]
    failed = []
    for name in ORDER:
        script = BENCH / name
        if not script.exists() or (only and name not in only and script.stem not in only):
            if name in kept:
                sections.append(kept[name])
            continue
        print(f"=== {name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True)
        output = (result.stdout + ("\n" + result.stderr if result.returncode else "")).strip("\n").rstrip()
        print(output, flush=True)
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        if result.returncode:
            failed.append(name)
        sections.append(f"## {name} — {status}, {time.monotonic() - started:.0f} s\n\n"
                        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on: {where}.\n\n```\n{output[-6000:]}\n```\n")
    results.write_text("\n".join(sections))
    print(f"wrote {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
