"""Scale: 100,000 visits through submission and posting on this machine.

    .venv/bin/python bench/bench_scale.py [--visits 100000]

Runs the same domain functions the DAG tasks call (no scheduler in the way): seed a practice,
pick up, build claims, data quality (Great Expectations), eligibility (real-time 270/271 against
the sandbox's HTTP endpoint, served by its own process), scrubbing, batching + 837P build + pyx12 + delivery to a mailbox
folder, then 835s for every submitted claim (built with include.edi, 10,000 claims a file) and
posting. Prints seconds and throughput per stage, peak memory (max RSS), and the pyx12 floor —
the time pyx12 alone needs to validate the same 837P files — so the pipeline's overhead shows
as a ratio. Targets: total ≤ 1× the single-process pyx12 floor; peak memory < 2 GB.

The pipeline is `submission.run_pipeline`, each step timed: pyx12 in one process per core
(`submission.BatchSender`), the backlog in waves of `--wave-claims` claims so the workers validate one
wave's 837Ps while this process checks the next (`--wave-claims 0`: one pass, pyx12 only after every
claim is scrubbed). The stages' rows are summed over the waves. The floor stays single-process, as the
issue defines it. `--visits 20000` for a quicker run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# each wave costs a fixed ~0.5 CPU-s (data quality's suite run), and the first wave's checks run with the
# workers idle: 5,000 claims keep both small (18 waves at 100,000 visits; measured at 20,000 visits)
WAVE_CLAIMS = 5_000


def _cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (the pyx12 workers once their pool closed): what a
    stage cost in work, whatever other programs on the machine took from its wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _machine_idle_seconds() -> float:
    """Idle core-seconds of the whole machine so far (/proc/stat idle + iowait): a stage's idle share is the
    room left for overlapping it with pyx12, whichever process (this one, PostgreSQL, the payer) did its work."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return 0.0
    return (int(fields[3]) + int(fields[4])) / os.sysconf("SC_CLK_TCK")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreeMemory:
    """Peak resident memory of this process and its children together (the pyx12 workers), sampled
    from /proc; the sandbox (the payer's server) is left out. ru_maxrss cannot say it: a spawned
    child inherits its parent's high-water mark across exec."""

    def __init__(self, interval: float = 0.2) -> None:
        import threading

        self.peak_mb = 0.0
        self.exclude: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _children(self, pid: int) -> list[int]:
        out: list[int] = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(c) for c in f.read().split()]
        except OSError:
            pass
        return out

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            pids, todo = [], [os.getpid()]
            while todo:
                pid = todo.pop()
                if pid in self.exclude:
                    continue
                pids.append(pid)
                todo += self._children(pid)
            self.peak_mb = max(self.peak_mb, sum(self._rss_mb(p) for p in pids))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak_mb, _peak_mb())


class Stages:
    def __init__(self, profile_dir: Path | None = None) -> None:
        self.rows: list[tuple[str, float, int, str]] = []
        self.cpu: dict[str, float] = {}
        self.profile_dir = profile_dir
        self.acc: dict[str, list[float]] = {}      # run_pipeline's steps: [wall, cpu, idle] summed over waves
        self._profiles: dict = {}

    def timed(self, step: str, fn):
        """run_pipeline's hook: run one step and add its wall, CPU and machine idle to the step's sums."""
        profiler = None
        if self.profile_dir is not None:
            import cProfile

            profiler = self._profiles.setdefault(step, cProfile.Profile())
            profiler.enable()
        started, cpu_started, idle_started = time.perf_counter(), _cpu_seconds(), _machine_idle_seconds()
        try:
            return fn()
        finally:
            acc = self.acc.setdefault(step, [0.0, 0.0, 0.0])
            acc[0] += time.perf_counter() - started
            acc[1] += _cpu_seconds() - cpu_started
            acc[2] += _machine_idle_seconds() - idle_started
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(self.profile_dir / f"{step}.prof")

    def report(self, steps, name: str, unit: str, count: int) -> None:
        """One row for run_pipeline's step(s), summed over the waves."""
        seconds = cpu = idle = 0.0
        for step in (steps,) if isinstance(steps, str) else steps:
            wall, c, i = self.acc.get(step, (0.0, 0.0, 0.0))
            seconds, cpu, idle = seconds + wall, cpu + c, idle + i
        self._row(name, unit, count, seconds, cpu, idle)

    def _row(self, name: str, unit: str, count: int, seconds: float, cpu: float, idle: float) -> None:
        self.cpu[name] = cpu
        self.rows.append((name, seconds, count, unit))
        rate = f"{count / seconds:10,.0f} {unit}/s" if count and seconds else ""
        print(f"  {name:<28} {seconds:8.1f} s  {count:>8,} {unit:<7} {rate}   cpu {cpu:6.1f} s   "
              f"idle {idle:5.1f} core-s   peak {_peak_mb():,.0f} MB", flush=True)

    def run(self, name: str, unit: str, fn):
        profiler = None
        if self.profile_dir is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu_started, idle_started = time.perf_counter(), _cpu_seconds(), _machine_idle_seconds()
        result = fn()
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
        idle = _machine_idle_seconds() - idle_started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(self.profile_dir / (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".prof"))
        self._row(name, unit, len(result) if isinstance(result, list) else result, seconds, cpu, idle)
        return result


def main(argv=None) -> int:
    import psycopg

    from include.billing import eligibility, submission
    from include.billing.posting import post_stored_remittances
    from include.billing.transport import LocalFolder
    from include.devenv.paths import run_dir
    from include.devenv.postgres import scratch_database
    from include.edi.validate import validate_x12
    from include.practice.roster import export_roster
    from include.practice.seed import seed_practice
    from tests.unit.posting.factory import file_835, paid_clp, remittance, store

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--per-835", type=int, default=10_000)
    parser.add_argument("--per-837", type=int, default=1000,
                        help="claims per 837P file at most (files of one payer are split evenly): with files of "
                             "about 1,000 claims the last pyx12 worker waits seconds, not a whole 5,000-claim file, "
                             "for the other to finish; the floor validates the same files")
    parser.add_argument("--workers", type=int, default=None,
                        help="pyx12 validation processes (default: one per core)")
    parser.add_argument("--post-workers", type=int, default=None,
                        help="835 files posted at the same time, each on its own connection (default: one per "
                             "core): the client and its PostgreSQL backend take turns, so one file alone leaves a "
                             "core idle")
    parser.add_argument("--wave-claims", type=int, default=WAVE_CLAIMS,
                        help="check, scrub and plan the backlog in waves of this many claims, so the pyx12 workers "
                             "validate one wave's 837Ps while this process checks the next "
                             "(submission.run_pipeline); 0: one pass, pyx12 only after every claim is scrubbed")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of each stage (this process only) into this folder")
    args = parser.parse_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)

    # the worker's scratch folder, as every dev entry point sets it (BILLING_RUN_DIR, else .run/): the
    # ICD-10-CM table is cached there once per code-set release (include.billing.scrub)
    icd_cache = run_dir() / "cache" / "icd10cm-items.json"
    print(f"ICD-10-CM table cache {'present' if icd_cache.exists() else 'absent (built in the scrub stage)'}: "
          f"{icd_cache}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    for folder in ("inbound", "outbound", "archive"):
        (work / "mailbox" / folder).mkdir(parents=True)
    stages = Stages(args.profile)
    tree = TreeMemory()
    print(f"bench_scale: {args.visits:,} visits", flush=True)
    with scratch_database("bench_scale") as url:
        with psycopg.connect(url) as conn:
            def seed():
                visits = seed_practice(conn, visits=args.visits, seed=11).visits
                conn.commit()
                return visits

            stages.run("seed practice", "visits", seed)
            roster_path = work / "roster.json"
            export_roster(conn, roster_path)
            # the payer side runs in its own process, as it does in production (another company's
            # server): its work is not the pipeline's, and it must not share our process's GIL
            sandbox = subprocess.Popen(
                [sys.executable, "-m", "include.sandbox", "serve", "--root", str(work / "sandbox"),
                 "--roster", str(roster_path), "--user", "bench", "--password", "bench", "--http-port", "0",
                 "--no-loop"], cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True)
            tree.exclude.add(sandbox.pid)
            http_url = json.loads(sandbox.stdout.readline())["http_url"]
            try:
                now = dt.datetime.now(dt.UTC)
                actor = "bench:scale"
                remote = LocalFolder(work / "mailbox")
                transport = eligibility.RealtimeTransport(http_url, user="bench", password="bench")
                pipeline_started = time.perf_counter()
                # the same loop as the CLI (submission.run_pipeline), each step timed; in waves, the steps'
                # figures are summed over the waves
                out = submission.run_pipeline(
                    conn, remote=remote, eligibility_transport=transport, actor=actor, high_water=now,
                    today=now.date(), run_id="bench-scale", max_claims_per_file=args.per_837,
                    wave_claims=args.wave_claims or None, workers=args.workers, timed=stages.timed)
                submission_seconds = time.perf_counter() - pipeline_started
                results = out["send_batch"]
                sent = sum(r.get("claims_submitted", 0) for r in results)
                picked = out["pick_up_visits"]["claims_created"]

                def total(step, key):
                    found = out[step]
                    return sum(r[key] for r in found) if isinstance(found, list) else found[key]

                stages.report("pick_up_visits", "pick up visits", "claims", picked)
                stages.report("build_claims", "build claims", "claims", out["build_claims"]["claims_built"])
                stages.report("data_quality", "data quality (GX)", "claims", total("data_quality", "claims_checked"))
                stages.report("eligibility", "eligibility (270/271 HTTP)", "claims",
                              total("eligibility", "claims_checked"))
                stages.report("scrub", "scrub", "claims", total("scrub", "claims_scrubbed"))
                stages.report("plan_batches", "plan batches", "batches", len(results))
                sizes = sorted(r["claims"] for r in results)
                build_cpu = sum(r.get("build_cpu_seconds", 0.0) for r in results)
                print(f"    {len(results)} files of {sizes[0]:,}-{sizes[-1]:,} claims; parent build "
                      f"{sum(r['build_seconds'] for r in results):.1f} s (cpu {build_cpu:.1f} s), pyx12 in the workers "
                      f"{sum(r['validate_seconds'] for r in results):.1f} s (sum over files)", flush=True)
                if args.wave_claims:
                    during = stages.acc.get("send_batch", (0.0,))[0]
                    after = stages.acc.get("send_batch_wait", (0.0,))[0]
                    print(f"    {out['waves']} waves of at most {args.wave_claims:,} claims: the parent spent "
                          f"{during:.1f} s building, storing and delivering 837Ps between the waves' checks, then "
                          f"{after:.1f} s waiting for pyx12 after the last wave (the row below is both)", flush=True)
                stages.report(("send_batch", "send_batch_wait"), "build + pyx12 + deliver 837P", "claims", sent)

                submitted = conn.execute(
                    """SELECT c.id, c.claim_number, c.total_charge, v.patient_id FROM billing.claims c
                         JOIN pm.visits v ON v.id = c.visit_id WHERE c.status = 'submitted' ORDER BY c.id"""
                ).fetchall()
                lines: dict[int, list] = {}
                for cid, lcn, code, charge in conn.execute(
                        """SELECT l.claim_id, l.line_control_number, l.procedure_code, l.charge
                             FROM billing.claim_lines l JOIN billing.claims c ON c.id = l.claim_id
                            WHERE c.status = 'submitted' ORDER BY l.claim_id, l.line_number"""):
                    lines.setdefault(cid, []).append({"lcn": lcn, "code": code, "charge": charge})

                def make_835s():
                    made = 0
                    for start in range(0, len(submitted), args.per_835):
                        chunk = submitted[start:start + args.per_835]
                        clps = [paid_clp({"id": cid, "claim_number": number, "total": total, "lines": lines[cid]},
                                         deductible=Decimal("10.00") if cid % 3 == 0 else Decimal(0))
                                for cid, number, total, _ in chunk]
                        store(conn, f"bench-{start}.835", file_835([remittance(clps, trace=f"SCALE{start}")]))
                        made += len(chunk)
                    conn.commit()
                    return made

                stages.run("835 files (test payer)", "claims", make_835s)
                post_workers = args.post_workers or os.cpu_count() or 1
                print(f"    posting {-(-len(submitted) // args.per_835)} files, {post_workers} at a time", flush=True)
                posting_started = time.perf_counter()
                def post():
                    posted = post_stored_remittances(conn, actor=actor, workers=post_workers,
                                                     connect=lambda: psycopg.connect(url))["claims_posted"]
                    conn.commit()
                    return posted

                stages.run("post 835s", "claims", post)
                posting_seconds = time.perf_counter() - posting_started

                files = conn.execute("SELECT file_name, content FROM billing.edi_files "
                                     "WHERE transaction_type = '837P' AND direction = 'out'").fetchall()

                def floor():
                    for file_name, content in files:
                        validate_x12(bytes(content), file_name)
                    return sent

                stages.run("pyx12 floor (same 837Ps)", "claims", floor)
                floor_seconds = stages.rows[-1][1]
            finally:
                sandbox.terminate()
                sandbox.wait(timeout=30)
        total = submission_seconds + posting_seconds
        print(f"\nclaims picked up {picked:,}, submitted {sent:,} in {len(files)} files; posted {len(submitted):,}")
        print(f"submission {submission_seconds:.1f} s + posting {posting_seconds:.1f} s = {total:.1f} s "
              f"({sent / total:,.0f} claims/s end to end)")
        ratio = total / floor_seconds
        workers = args.workers or os.cpu_count() or 1
        memory = tree.stop()
        print(f"pyx12 floor {floor_seconds:.1f} s (single process) → pipeline / floor = {ratio:.2f}x (target ≤ 1.0x)")
        pressure = Path("/proc/pressure/cpu")
        print(f"cpu seconds (this process and its pyx12 workers; not PostgreSQL or the payer's server): 837P stage "
              f"{stages.cpu['build + pyx12 + deliver 837P']:.1f} s, floor {stages.cpu['pyx12 floor (same 837Ps)']:.1f} s"
              + (f"; CPU pressure now: {pressure.read_text().splitlines()[0]}" if pressure.exists() else ""))
        print(f"peak memory {_peak_mb():,.0f} MB in this process; {memory:,.0f} MB with its {workers} pyx12 "
              f"workers (sampled sum; target < 2048 MB)")
        by = {name: seconds for name, seconds, _, _ in stages.rows}
        print(f"summary: {args.visits:,} visits, pipeline {total:.1f} s = {ratio:.2f}x the same-run single-process "
              f"pyx12 floor ({floor_seconds:.1f} s; target ≤ 1.0x); 837P build+pyx12+deliver "
              f"{by['build + pyx12 + deliver 837P']:.1f} s ({workers} pyx12 workers; "
              f"{f'waves of {args.wave_claims:,} claims' if args.wave_claims else 'one pass'}), eligibility "
              f"{by['eligibility (270/271 HTTP)']:.1f} s, scrub {by['scrub']:.1f} s, post {posting_seconds:.1f} s "
              f"({post_workers} files at a time); "
              f"peak memory {memory:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
