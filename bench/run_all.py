"""`make bench`: run every benchmark in one go and write bench/RESULTS.md.

Each benchmark prints its own figures and ratios against a baseline measured in the same
run; this collects their output under a description of the machine, and appends one line
per benchmark per run to the history at the end of RESULTS.md (date, CPU model and the
benchmark's `summary:` line, or its last line), so a regression shows. The fuzzer
(bench/fuzz_x12.py, 100,000 inputs) runs here too and on its own as `make fuzz`;
bench_reliability runs the fault-injection and PHI/security tests (it needs `make system-deps`).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ["bench_edi.py", "bench_seed.py", "bench_sandbox.py", "bench_submission.py", "bench_posting.py",
         "bench_large_835.py", "bench_reports.py", "bench_ui.py", "bench_reliability.py", "fuzz_x12.py",
         "bench_scale.py", "bench_demo.py"]


def cpu_model() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def machine() -> str:
    import psutil

    return (f"{os.cpu_count()} cores ({cpu_model()}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


HISTORY = "## History"
HISTORY_INTRO = ("One line per benchmark per run, oldest first: when (UTC), which benchmark, on what CPU, and "
                 "its summary line (a benchmark's `summary:` line, else its last line).\n")


def summary_line(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not ln.startswith("```")]
    marked = [ln[len("summary:"):].strip() for ln in lines if ln.startswith("summary:")]
    text = marked[-1] if marked else (lines[-1] if lines else "(no output)")
    return text if len(text) <= 400 else text[:397] + "..."


def history_line(when: datetime, name: str, cpu: str, status: str, output: str) -> str:
    return f"- {when:%Y-%m-%d %H:%M} · {name} · {cpu} · {status} · {summary_line(output)}"


def earlier_history(results: Path) -> list[str]:
    """The history lines of an earlier RESULTS.md; when it has none yet, one line per section
    rebuilt from the section's run date, machine and output."""
    if not results.exists():
        return []
    text = results.read_text()
    if "\n" + HISTORY + "\n" in text:
        return [ln for ln in text.split("\n" + HISTORY + "\n", 1)[1].splitlines() if ln.startswith("- ")]
    out = []
    for chunk in text.split("\n## ")[1:]:
        head = chunk.split("\n", 1)[0]
        name = head.split(" ", 1)[0]
        status = head.split("— ", 1)[1].split(",")[0] if "— " in head else "?"
        m = re.search(r"Run (\d{4}-\d\d-\d\d \d\d:\d\d) UTC.*? on: \d+ cores \((.*?)\),", chunk)
        body = chunk.split("```", 2)[1] if chunk.count("```") >= 2 else ""
        if m:
            when = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M")
            out.append(history_line(when, name, m.group(2), status, body))
    return sorted(out, key=lambda ln: ln[2:18])


def earlier_sections(results: Path) -> dict[str, str]:
    """The sections of an earlier RESULTS.md by benchmark file name, kept when only some are re-run."""
    if not results.exists():
        return {}
    kept: dict[str, str] = {}
    text = results.read_text().split("\n" + HISTORY + "\n", 1)[0]
    for chunk in text.split("\n## ")[1:]:
        name = chunk.split(" ", 1)[0]
        kept[name] = kept.get(name, "") + ("\n" if name in kept else "") + "## " + chunk.rstrip() + "\n"
    return kept


def main(argv: list[str]) -> int:
    only = set(argv)
    results = BENCH / "RESULTS.md"
    kept = earlier_sections(results) if only else {}
    history = earlier_history(results)
    where = machine()
    cpu = cpu_model()
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
        now = datetime.now(UTC)
        sections.append(f"## {name} — {status}, {time.monotonic() - started:.0f} s\n\n"
                        f"Run {now:%Y-%m-%d %H:%M} UTC on: {where}.\n\n```\n{output[-6000:]}\n```\n")
        history.append(history_line(now, name, cpu, status, output))
    sections.append(f"{HISTORY}\n\n{HISTORY_INTRO}\n" + "\n".join(history) + "\n")
    results.write_text("\n".join(sections))
    print(f"wrote {results}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
