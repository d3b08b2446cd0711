"""A ≥ 100 MB 835 through the real inbound path: mailbox folder → fetch_outbound → edi_files → posting.

Issue 9's "a 100 MB file": one interchange with many transaction sets (10,000 claims per ST,
like a big payer's weekly run), claims paid, paid with deductible / coinsurance / copay,
a line denied (CO-97), claims denied (CO-16 + N290, CO-50), PLB interest / recoupment /
forward balance per ST, and ~0.5 % of patients with secondary coverage (secondary claims
are created). Built with include.edi (x835.remittance_segments + writer.build_interchange,
one ST at a time) in a child process that also seeds the claims, so this process's memory
is posting's own.

First a smaller file of the same shape (3 STs, ~10 MB) is posted in this process as the
baseline; the per-claim throughput ratio (large / small) shows whether posting is linear.
Checks (exit 1 if any fails): every remittance posted, none held; Σ posted BPR02 = Σ BPR02
read from the file; per remittance Σ CLP04 − Σ PLB = BPR02; every CLP posted exactly once
(one claim payment per claim, every SVC matched to its claim line); and fetching + posting
the same bytes again under another name changes nothing. Targets: large-file posting
throughput within 2x of the small file's claims/s, peak memory < 2 GB. Usage:

    .venv/bin/python bench/bench_large_835.py [--target-mb 100] [--small-st 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PER_ST = 10_000
# one ST: (claims, lines per claim) seeded per call; the same mix in every ST
MIX = ((5_000, 2), (3_000, 1), (2_000, 3))
PLB = [("L6", "-12.34"), ("WO", "150.00"), ("FB", "20.00")]
SENDER, RECEIVER = "BIGPAYER", "ACME01"


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset this process's peak RSS to its current RSS (Linux /proc/self/clear_refs '5')."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --------------------------------------------------------------------------- the file (child process)

def _clp(claim: dict, k: int):
    """The k-th claim's adjudication in an ST (k cycles over 20 kinds)."""
    from include.edi.x835 import Adjustment, ServicePayment
    from tests.unit.posting.factory import DOS, denied_clp, paid_clp

    kind = k % 20
    if kind == 17:
        clp = denied_clp(claim, "CO", "16", "N290")
    elif kind == 18:
        clp = denied_clp(claim, "CO", "50")
    elif kind < 5:
        clp = paid_clp(claim, deductible=Decimal("40.00"), coinsurance=Decimal("8.00"))
    elif kind < 10:
        clp = paid_clp(claim, copay=Decimal("25.00"))
    elif kind < 12:
        clp = paid_clp(claim, coinsurance=Decimal("16.00"))
    else:
        clp = paid_clp(claim)
    if kind == 12 and len(clp.lines) > 1:
        # the last line bundled (CO-97): paid 0, the claim partially paid
        last = clp.lines[-1]
        clp.lines[-1] = ServicePayment(procedure_code=last.procedure_code, charge=last.charge, paid=Decimal(0),
                                       units=last.units, service_date=last.service_date,
                                       line_control_number=last.line_control_number,
                                       adjustments=[Adjustment("CO", "97", last.charge)], remark_codes=["M15"])
        clp.paid = sum((s.paid for s in clp.lines), Decimal(0))
    n = int(claim["claim_number"][1:8])
    clp.patient_last_name, clp.patient_first_name, clp.patient_id = "DOE", f"PAT{n}", f"M{n}"
    clp.statement_from = clp.statement_to = DOS
    clp.received_date = DOS + dt.timedelta(days=3)
    return clp


def _transaction_sets(conn, min_bytes: int, max_sets: int, label: str, stats: dict):
    """(ST type, control number, body segments) per 10,000-claim ST until the bodies reach
    min_bytes or there are max_sets of them.

    Seeds each ST's claims just before building it (timed apart in stats['seed_s'])."""
    from include.edi.writer import DEFAULT, segment_text
    from include.edi.x835 import remittance_segments
    from tests.unit.posting.factory import PAY_DATE, remittance, seed_practice

    body = 0
    st = 0
    while body < min_bytes and st < max_sets:
        st += 1
        t0 = time.perf_counter()
        claims = []
        for n, lines in MIX:
            sec = {i for i in range(1, n + 1) if i % 100 == 1} if lines == 2 else frozenset()
            claims += seed_practice(conn, n, lines=lines, secondary_for=sec)
        stats["seed_s"] += time.perf_counter() - t0
        r = remittance([_clp(c, k) for k, c in enumerate(claims)], trace=f"{label}{st:05d}", plb=PLB)
        segs = remittance_segments(r, production_date=PAY_DATE)
        body += sum(len(segment_text(s, DEFAULT)) + 1 for s in segs) + 30
        stats["claims"] += len(r.claims)
        stats["lines"] += sum(len(c.lines) for c in r.claims)
        stats["sets"] += 1
        stats["bpr02"] += r.payment_amount
        yield "835", f"{st:04d}", segs


def prepare(url: str, out: str, min_bytes: int, max_sets: int, label: str) -> dict:
    """Seed the claims and write the 835 to `out` (child process). Returns figures."""
    import psycopg

    from include.edi.writer import build_interchange
    from include.edi.x835 import VERSION

    stats = {"seed_s": 0.0, "claims": 0, "lines": 0, "sets": 0, "bpr02": Decimal(0)}
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn:
        icn = 700 + len(label)
        data = build_interchange(SENDER, RECEIVER, icn,
                                 [("HP", SENDER, RECEIVER, icn, VERSION, _transaction_sets(conn, min_bytes, max_sets,
                                                                                           label, stats))],
                                 date=dt.datetime(2026, 3, 20, 9, 0))
    total = time.perf_counter() - t0
    tmp = out + ".part"                      # the mailbox skips *.part: never read half-written
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out)
    return {**stats, "bpr02": str(stats["bpr02"]), "build_s": total - stats["seed_s"], "bytes": len(data),
            "peak_mb": max_rss_mb()}


# --------------------------------------------------------------------------- checks

def scan_file(path: Path) -> dict:
    """What the file says, read with the streaming reader: per ST BPR02, Σ CLP04, Σ PLB; CLP/SVC counts."""
    from include.edi.reader import iter_segments

    sets: list[dict] = []
    cur = None
    clp = svc = 0
    for s in iter_segments(str(path)):
        tag = s.tag
        if tag == "ST":
            cur = {"bpr02": Decimal(0), "clp04": Decimal(0), "plb": Decimal(0), "trace": ""}
            sets.append(cur)
        elif tag == "CLP":
            clp += 1
            cur["clp04"] += Decimal(s.el(4))
        elif tag == "SVC":
            svc += 1
        elif tag == "BPR":
            cur["bpr02"] = Decimal(s.el(2))
        elif tag == "TRN":
            cur["trace"] = s.el(2)
        elif tag == "PLB":
            for k in range(4, 15, 2):
                if s.el(k):
                    cur["plb"] += Decimal(s.el(k))
    return {"sets": sets, "clp": clp, "svc": svc}


def counts(conn) -> dict:
    """Row counts and money sums of every table posting writes, for before/after comparisons."""
    out = {}
    for t in ("claims", "claim_events", "remittances", "claim_payments", "line_payments", "adjustments",
              "provider_adjustments", "patient_ledger", "work_queue", "edi_files"):
        out[t] = conn.execute(f"SELECT count(*) FROM billing.{t}").fetchone()[0]  # noqa: S608 (fixed names)
    out["paid"] = conn.execute("SELECT coalesce(sum(paid), 0) FROM billing.claim_payments").fetchone()[0]
    out["ledger"] = conn.execute("SELECT coalesce(sum(amount), 0) FROM billing.patient_ledger").fetchone()[0]
    out["bpr02"] = conn.execute("SELECT coalesce(sum(payment_amount), 0) FROM billing.remittances").fetchone()[0]
    out["files_applied"] = conn.execute(
        "SELECT count(*) FROM billing.edi_files WHERE state = 'applied'").fetchone()[0]
    return out


def verify(conn, file_id: int, scan: dict, failures: list[str], label: str) -> dict:
    def check(ok: bool, what: str) -> None:
        if not ok:
            failures.append(f"{label}: {what}")

    rows = conn.execute("""SELECT r.id, r.state, r.trace_number, r.payment_amount,
                                  (SELECT coalesce(sum(cp.paid), 0) FROM billing.claim_payments cp
                                    WHERE cp.remittance_id = r.id),
                                  (SELECT coalesce(sum(pa.amount), 0) FROM billing.provider_adjustments pa
                                    WHERE pa.remittance_id = r.id)
                             FROM billing.remittances r WHERE r.edi_file_id = %s ORDER BY r.id""",
                        (file_id,)).fetchall()
    sets = scan["sets"]
    check(len(rows) == len(sets), f"{len(rows)} remittance rows for {len(sets)} transaction sets")
    held = [r for r in rows if r[1] != "posted"]
    check(not held, f"{len(held)} remittance(s) not posted: {[r[2] for r in held[:5]]}")
    posted_bpr = sum((r[3] for r in rows if r[1] == "posted"), Decimal(0))
    file_bpr = sum((s["bpr02"] for s in sets), Decimal(0))
    check(posted_bpr == file_bpr, f"posted BPR02 {posted_bpr} != file BPR02 {file_bpr}")
    by_trace = {s["trace"]: s for s in sets}
    for _rid, _state, trace, bpr, paid, plb in rows:
        check(paid - plb == bpr, f"{trace}: paid {paid} - PLB {plb} != BPR02 {bpr}")
        s = by_trace.get(trace)
        check(s is not None and s["clp04"] == paid and s["plb"] == plb and s["bpr02"] == bpr,
              f"{trace}: database differs from the file")
    n_cp, n_claims, n_lp, n_unmatched = conn.execute(
        """SELECT count(*), count(DISTINCT cp.claim_id),
                  (SELECT count(*) FROM billing.line_payments lp JOIN billing.claim_payments c2
                      ON c2.id = lp.claim_payment_id JOIN billing.remittances r2 ON r2.id = c2.remittance_id
                    WHERE r2.edi_file_id = %(f)s),
                  (SELECT count(*) FROM billing.line_payments lp JOIN billing.claim_payments c2
                      ON c2.id = lp.claim_payment_id JOIN billing.remittances r2 ON r2.id = c2.remittance_id
                    WHERE r2.edi_file_id = %(f)s AND lp.claim_line_id IS NULL)
             FROM billing.claim_payments cp JOIN billing.remittances r ON r.id = cp.remittance_id
            WHERE r.edi_file_id = %(f)s""", {"f": file_id}).fetchone()
    check(n_cp == scan["clp"], f"{n_cp} claim payments for {scan['clp']} CLPs")
    check(n_claims == scan["clp"], f"{n_claims} distinct claims paid for {scan['clp']} CLPs")
    check(n_lp == scan["svc"], f"{n_lp} line payments for {scan['svc']} SVCs")
    check(n_unmatched == 0, f"{n_unmatched} line payments not matched to a claim line")
    twice = conn.execute("""SELECT count(*) FROM (SELECT claim_id FROM billing.claim_payments
                             GROUP BY claim_id HAVING count(*) > 1) x""").fetchone()[0]
    check(twice == 0, f"{twice} claims with more than one payment")
    state = conn.execute("SELECT state FROM billing.edi_files WHERE id = %s", (file_id,)).fetchone()[0]
    check(state == "applied", f"file state {state!r}, expected 'applied'")
    by_status = dict(conn.execute(
        """SELECT c.status, count(*) FROM billing.claims c JOIN billing.claim_payments cp ON cp.claim_id = c.id
             JOIN billing.remittances r ON r.id = cp.remittance_id WHERE r.edi_file_id = %s
            GROUP BY c.status ORDER BY c.status""", (file_id,)).fetchall())
    ledger = conn.execute(
        """SELECT count(*), coalesce(sum(l.amount), 0) FROM billing.patient_ledger l
            WHERE l.claim_id IN (SELECT cp.claim_id FROM billing.claim_payments cp
                                   JOIN billing.remittances r ON r.id = cp.remittance_id
                                  WHERE r.edi_file_id = %s)""", (file_id,)).fetchone()
    return {"remittances": len(rows), "claim_payments": n_cp, "line_payments": n_lp, "by_status": by_status,
            "ledger_entries": ledger[0], "ledger_sum": ledger[1], "bpr02": file_bpr}


# --------------------------------------------------------------------------- one case

def run_case(conn, url: str, box: Path, label: str, min_bytes: int, max_sets: int, failures: list[str]) -> dict:
    from include.billing.inbox import fetch_outbound
    from include.billing.posting import post_stored_remittances
    from include.billing.transport import LocalFolder

    name = f"{label}.835"
    out = box / "outbound" / name
    child = subprocess.run([sys.executable, __file__, "--prepare", url, str(out), str(min_bytes),
                            str(max_sets), label],
                           capture_output=True, text=True)
    if child.returncode:
        raise SystemExit(f"preparing the {label} file failed:\n{child.stdout}\n{child.stderr}")
    prep = json.loads(child.stdout.strip().splitlines()[-1])

    remote = LocalFolder(box)
    t0 = time.perf_counter()
    fetched = fetch_outbound(conn, remote, remote_dir="outbound", archive_dir="archive")
    t_fetch = time.perf_counter() - t0
    if fetched.stored != 1 or fetched.by_type != {"835": 1}:
        failures.append(f"{label}: fetch stored {fetched.to_dict()}")
    file_id = conn.execute("SELECT id FROM billing.edi_files WHERE file_name = %s", (name,)).fetchone()[0]
    conn.commit()

    rss_before = current_rss_mb()
    peak_before = max_rss_mb()
    reset = reset_peak()
    t1 = time.perf_counter()
    posted = post_stored_remittances(conn, actor="bench")
    t_post = time.perf_counter() - t1
    peak_post = max_rss_mb()
    if posted["remittances_held"] or posted["quarantined"] or posted["remittances_posted"] != prep["sets"]:
        failures.append(f"{label}: posting {posted}")

    scan = scan_file(box / "archive" / name)
    checked = verify(conn, file_id, scan, failures, label)
    if str(checked["bpr02"]) != prep["bpr02"]:
        failures.append(f"{label}: file BPR02 {checked['bpr02']} != built {prep['bpr02']}")

    # the same bytes again under another name: stored once, posted once
    before = counts(conn)
    shutil.copyfile(box / "archive" / name, box / "outbound" / f"{label}-resent.835")
    t2 = time.perf_counter()
    again = fetch_outbound(conn, remote, remote_dir="outbound", archive_dir="archive")
    again_post = post_stored_remittances(conn, actor="bench")
    t_again = time.perf_counter() - t2
    after = counts(conn)
    if again.duplicates != 1 or again.stored != 0 or again_post["files"] != 0 or before != after:
        failures.append(f"{label}: the resent file changed something: fetch {again.to_dict()}, "
                        f"post {again_post}, before {before}, after {after}")
    return {"label": label, "prep": prep, "t_fetch": t_fetch, "t_post": t_post, "t_again": t_again,
            "rss_before": rss_before, "peak_before": peak_before, "peak_post": peak_post, "reset": reset,
            "posted": posted, "checked": checked, "resent_unchanged": before == after}


def report(c: dict) -> None:
    p, k = c["prep"], c["checked"]
    rate = p["claims"] / c["t_post"]
    print(f"[{c['label']}] 835 file: {p['bytes']:,} bytes ({p['bytes'] / 2**20:.2f} MiB), 1 interchange, "
          f"{p['sets']} STs, {p['claims']:,} claims, {p['lines']:,} service lines, BPR02 total {k['bpr02']}")
    print(f"[{c['label']}]   seed claims {p['seed_s']:.1f} s, build 835 {p['build_s']:.1f} s (child process, "
          f"peak {p['peak_mb']:,.0f} MB)")
    print(f"[{c['label']}]   fetch + store (LocalFolder → billing.edi_files): {c['t_fetch']:.2f} s "
          f"({p['bytes'] / 2**20 / c['t_fetch']:.0f} MiB/s)")
    print(f"[{c['label']}]   post_stored_remittances: {c['t_post']:.1f} s = {rate:,.0f} claims/s "
          f"({c['posted']['remittances_posted']} posted, {c['posted']['remittances_held']} held, "
          f"paid {c['posted']['paid_total']})")
    status = ", ".join(f"{s} {n:,}" for s, n in k["by_status"].items())
    print(f"[{c['label']}]   claims now: {status}; patient ledger {k['ledger_entries']:,} entries, "
          f"{k['ledger_sum']}; {k['line_payments']:,} line payments")
    grow = c["peak_post"] - c["rss_before"]
    how = "peak reset before posting" if c["reset"] else "process peak, not reset"
    print(f"[{c['label']}]   memory: RSS before posting {c['rss_before']:,.0f} MB, peak during posting "
          f"{c['peak_post']:,.0f} MB (+{grow:,.0f} MB; {how}); peak before posting {c['peak_before']:,.0f} MB")
    print(f"[{c['label']}]   same bytes resent as another name: fetch + post {c['t_again']:.2f} s, "
          f"{'nothing changed' if c['resent_unchanged'] else 'CHANGED'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target-mb", type=float, default=100.0, help="size of the large file in MiB (2**20 bytes)")
    ap.add_argument("--small-st", type=int, default=3, help="transaction sets in the baseline file")
    ap.add_argument("--prepare", nargs=5, metavar=("URL", "OUT", "MIN_BYTES", "MAX_SETS", "LABEL"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.prepare:
        url, out, min_bytes, max_sets, label = args.prepare
        print(json.dumps(prepare(url, out, int(min_bytes), int(max_sets), label)))
        return 0

    import psycopg

    from include.devenv.postgres import scratch_database

    target = int(args.target_mb * 2**20)
    failures: list[str] = []
    t_start = time.perf_counter()
    with scratch_database("bench_large_835") as url, tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp)
        (box / "outbound").mkdir()
        (box / "archive").mkdir()
        with psycopg.connect(url) as conn:
            small = run_case(conn, url, box, "SMALL", 2**62, args.small_st, failures)
            large = run_case(conn, url, box, "LARGE", target, 10**9, failures)
    report(small)
    report(large)
    size = large["prep"]["bytes"]
    print(f"large file size: {size:,} bytes = {size / 2**20:.2f} MiB "
          f"({'>=' if size >= target else '<'} {args.target_mb:g} MiB = {target:,} bytes)")
    if size < target:
        failures.append(f"large file {size:,} bytes < {target:,}")
    r_small = small["prep"]["claims"] / small["t_post"]
    r_large = large["prep"]["claims"] / large["t_post"]
    ratio = r_small / r_large
    peak = max(c[k] for c in (small, large) for k in ("peak_before", "peak_post"))
    print(f"posting throughput: small {r_small:,.0f} claims/s, large {r_large:,.0f} claims/s; "
          f"large/small = {r_large / r_small:.2f} (per-claim time {ratio:.2f}x the small file's; "
          f"target within 2x: {'met' if ratio <= 2 else 'NOT met'})")
    print(f"peak memory of this process (ru_maxrss): {peak:,.0f} MB "
          f"(target < 2048 MB: {'met' if peak < 2048 else 'NOT met'})")
    print(f"checks: every remittance posted, Σ BPR02 posted = file, paid − PLB = BPR02 per remittance, "
          f"each CLP once, resent file a no-op: {'all passed' if not failures else 'FAILED'}")
    print(f"wall time {time.perf_counter() - t_start:.0f} s")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
