"""Benchmark the sandbox clearinghouse (run: .venv/bin/python bench/bench_sandbox.py [--claims N]).

Prints, for one 837P of N claims dropped in a fresh mailbox:
  * ingest (999 + 277CA) seconds and claims/s, and its cost as a multiple of pyx12
    validating the same file alone (the floor: every 837 is validated before it is acked);
  * the payment run (adjudication + 835 building) claims/s and the 835 bytes;
  * an idle step (nothing new) in milliseconds, what the server loop pays every interval.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit" / "sandbox"))

import sandbox_world as w  # noqa: E402

from include.edi.validate import validate_x12  # noqa: E402
from include.sandbox.clearinghouse import Clearinghouse  # noqa: E402
from include.sandbox.roster import Roster  # noqa: E402
from include.sandbox.scenario import Scenario  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=2000)
    n = ap.parse_args().claims
    rd = w.roster_dict(1000)
    rng = random.Random(1)
    active = w.active_members(rd)
    data = w.build_file([w.make_claim(i, rng.choice(active), rng) for i in range(1, n + 1)], 1)
    t = time.perf_counter()
    validate_x12(data, "bench.837")
    t_pyx12 = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario.load(ROOT / "include/sandbox/scenarios/default.yaml")
        ch = Clearinghouse(Path(tmp) / "mb", scenario, Roster.from_dict(rd))
        (ch.inbound / "bench.837").write_bytes(data)
        t = time.perf_counter()
        r1 = ch.process(w.RECEIVED)
        t_ingest = time.perf_counter() - t
        t = time.perf_counter()
        r2 = ch.process(w.RECEIVED + dt.timedelta(days=scenario.adjudication_delay_days))   # all lags passed
        t_pay = time.perf_counter() - t
        size = sum((ch.outbound / f).stat().st_size for f in r2.outputs)
        t = time.perf_counter()
        ch.process(w.RECEIVED + dt.timedelta(days=scenario.adjudication_delay_days))
        t_idle = time.perf_counter() - t
    print(f"claims                      {n}  ({len(data) / 1e6:.1f} MB 837P)")
    print(f"pyx12 validate alone        {t_pyx12:.2f} s  ({n / t_pyx12:,.0f} claims/s)")
    print(f"ingest -> 999 + 277CA       {t_ingest:.2f} s  ({n / t_ingest:,.0f} claims/s), "
          f"{t_ingest / t_pyx12:.2f}x pyx12 alone; {r1.claims_accepted} accepted, {r1.claims_rejected} rejected")
    print(f"payment run -> 835          {t_pay:.2f} s  ({r2.claims_adjudicated / t_pay:,.0f} claims/s), "
          f"{r2.remittances} remittance(s), {size / 1e6:.2f} MB")
    print(f"idle step                   {t_idle * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
