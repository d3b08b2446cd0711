"""837P parser: the schema-driven parser against the one it replaced, in the same run.

    .venv/bin/python bench/bench_parsers.py [--claims 5000] [--repeat 7]

The old parser is git's version before the port (88ce97f), saved as a bench fixture
(bench/fixtures/x837p_old.py) and imported only here. Each run parses freshly read
segments (the reader splits elements lazily, on first use, so a parser must not reuse
segments another one already split); the reading is not timed. Prints claims/s of each,
the new/old time ratio (target <= 1.10) and whether both give equal claims on the bench
file, every 837 sample and 2,000 fuzzer mutations of them.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fixtures.x837p_old import parse_837p as parse_old  # noqa: E402

from include.edi import X12Error  # noqa: E402
from include.edi.model import (  # noqa: E402
    Address,
    Claim837,
    LineAdjudication,
    OtherPayerAdjudication,
    PatientDependent,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from include.edi.reader import iter_transactions  # noqa: E402
from include.edi.x837p import build_837p  # noqa: E402
from include.edi.x837p import parse_837p as parse_new  # noqa: E402

SAMPLES = ROOT / "tests" / "fixtures" / "x12-samples"


def make_claims(n: int) -> list[Claim837]:
    """Mixed shapes: plain, dependent, secondary with COB and line adjudication, rendering provider."""
    billing = Provider(org_name="ACME MEDICAL", npi="1234567893", taxonomy="207Q00000X", tax_id="123456789",
                       address=Address("100 MAIN ST", "SPRINGFIELD", "IL", "627011234"))
    payer = Payer(name="BIG HEALTH PLAN", payer_id="BHP01", address=Address("PO BOX 1", "CHICAGO", "IL", "606010001"))
    out = []
    for i in range(n):
        lines = [ServiceLine(line_control_number=f"L{i}-{k}", procedure_code="99213", charge=Decimal("100.00"),
                             units=Decimal(1), service_date=dt.date(2026, 2, 1 + k), modifiers=["25"] if k else [],
                             dx_pointers=[1, 2]) for k in range(1 + i % 4)]
        sub = Subscriber(member_id=f"M{i // 3:08d}", last_name="DOE", first_name="JANE", birth_date=dt.date(1980, 1, 1),
                         sex="F", address=Address("1 ELM ST", "SPRINGFIELD", "IL", "62701"), group_number="G1",
                         relationship_code="19" if i % 5 == 1 else "18")
        c = Claim837(claim_id=f"C{i:08d}", total_charge=sum((x.charge for x in lines), Decimal(0)),
                     place_of_service="11", billing_provider=billing, subscriber=sub, payer=payer, lines=lines,
                     diagnosis_codes=["J069", "R509"])
        if i % 5 == 1:
            c.patient = PatientDependent(last_name="DOE", first_name="KID", birth_date=dt.date(2015, 5, 5),
                                         sex="M", relationship_code="19")
        if i % 4 == 2:
            c.rendering_provider = Provider(last_name="SMITH", first_name="ANN", npi="1987654320",
                                            taxonomy="225100000X")
        if i % 7 == 3:
            sub.payer_responsibility = "S"
            c.other_payers = [OtherPayerAdjudication(
                payer_name="FIRST PAYER", payer_id="FP001", subscriber_last_name="DOE", subscriber_first_name="JANE",
                subscriber_member_id="X1", paid_amount=Decimal("60.00"), adjudication_date=dt.date(2026, 2, 20),
                adjustments=[("CO", "45", Decimal("30.00")), ("PR", "1", Decimal("10.00"))])]
            lines[0].adjudications = [LineAdjudication(other_payer_id="FP001", paid=Decimal("60.00"),
                                                       procedure_code="99213", units=Decimal(1),
                                                       adjudication_date=dt.date(2026, 2, 20),
                                                       adjustments=[("CO", "45", Decimal("40.00"))])]
        out.append(c)
    return out


def _transactions(data: bytes):
    return [t for t in iter_transactions(data, keep=True) if t.type == "837"]


def timed(parse, data: bytes, ts=None) -> float:
    """CPU seconds of one parse of every transaction set (process time: the machine is shared)."""
    ts = ts if ts is not None else _transactions(data)     # fresh, unsplit segments unless given
    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        for t in ts:
            parse(t)
        return time.process_time() - t0
    finally:
        gc.enable()


def outcome(parse, data: bytes):
    try:
        return [parse(t) for t in _transactions(data)]
    except X12Error as exc:
        return ("X12Error", str(exc))


def parity_inputs(seed: int, n: int) -> list[bytes]:
    import importlib.util
    spec = importlib.util.spec_from_file_location("fuzz_x12", ROOT / "bench" / "fuzz_x12.py")
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    samples = [p.read_bytes() for p in sorted(SAMPLES.rglob("*.837*"))]
    rng = random.Random(seed)
    return samples + [fuzz.mutate(rng.choice(samples), rng) for _ in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--mutations", type=int, default=2000)
    args = ap.parse_args()
    data = build_837p(make_claims(args.claims), submitter=Submitter("ACME", "ACME01"), receiver=Receiver("CH", "CH01"),
                      interchange_control_number=1, group_control_number=1, first_transaction_control_number=1,
                      created=dt.datetime(2026, 3, 1, 12, 0))
    old, new = [], []
    for _ in range(args.repeat):            # interleaved, so both see the same machine load
        old.append(timed(parse_old, data))
        new.append(timed(parse_new, data))
    split = _transactions(data)
    for t in split:                             # split every segment once; both then parse the same objects
        parse_old(t)
    old2, new2 = [], []
    for _ in range(args.repeat):
        old2.append(timed(parse_old, data, split))
        new2.append(timed(parse_new, data, split))
    print(f"837P parse, {args.claims} claims ({len(data) / 1e6:.1f} MB), best of {args.repeat} (CPU time):")
    ratio = 1.0
    for what, o_runs, n_runs in (("fresh segments (incl. lazy split)", old, new),
                                 ("split segments (parser alone)", old2, new2)):
        o, n = min(o_runs), min(n_runs)
        med = sorted(n_runs)[len(n_runs) // 2] / sorted(o_runs)[len(o_runs) // 2]
        ratio = max(ratio, n / o)
        print(f"  {what}:")
        print(f"    old (state machine)   {o * 1000:8.1f} ms  {args.claims / o:10.0f} claims/s")
        print(f"    new (loop schema)     {n * 1000:8.1f} ms  {args.claims / n:10.0f} claims/s")
        print(f"    ratio new/old         {n / o:8.3f}   (median {med:.3f})")
    same = outcome(parse_old, data) == outcome(parse_new, data)
    inputs = parity_inputs(1, args.mutations)
    diff = [i for i, d in enumerate(inputs) if outcome(parse_old, d) != outcome(parse_new, d)]
    print(f"  same claims: bench file {same}; samples + mutations {len(inputs) - len(diff)}/{len(inputs)}")
    if diff:
        print(f"  differing inputs (first 10): {diff[:10]}")
    return 0 if same and ratio <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
