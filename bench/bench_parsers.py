"""837P, 835, 999 and 277CA/277 parsers: the schema-driven parser against the one it replaced, in the same run.

    .venv/bin/python bench/bench_parsers.py [--transaction 837P|835|999|277CA] [--claims 5000] [--repeat 7]

The old parsers are git's versions before the port (837P: 88ce97f, 835: 6ec6ad9, 999: dcaed15,
277CA/277: e697bb2), saved as bench fixtures (bench/fixtures/x837p_old.py, x835_old.py, x999_old.py,
x277_old.py) and imported
only here. For a 999, --claims is the number of acknowledged transaction sets. For 277CA the bench file
is a 277CA (X214) with lines; parity also runs on every 277 sample, a built 277 (X212), and their mutations. Each run parses freshly read
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

from fixtures.x277_old import parse_status_transaction as parse_277_old  # noqa: E402
from fixtures.x835_old import parse_835_transaction as parse_835_old  # noqa: E402
from fixtures.x837p_old import parse_837p as parse_837_old  # noqa: E402
from fixtures.x999_old import parse_999_transaction as parse_999_old  # noqa: E402

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
from include.edi.x277 import build_277  # noqa: E402
from include.edi.x277ca import ClaimStatus, LineStatus, Status, build_277ca  # noqa: E402
from include.edi.x277ca import parse_277ca as parse_277_new  # noqa: E402  (one TransactionSet → its claims)
from include.edi.x835 import Adjustment, ClaimPayment, Remittance835, ServicePayment, build_835  # noqa: E402
from include.edi.x835 import parse_835_transaction as parse_835_new  # noqa: E402
from include.edi.x837p import build_837p  # noqa: E402
from include.edi.x837p import parse_837p as parse_837_new  # noqa: E402
from include.edi.x999 import Ack999, ElementError, SegmentError, TransactionAck, build_999  # noqa: E402
from include.edi.x999 import parse_999_transaction as parse_999_new  # noqa: E402

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


def make_835(n: int) -> bytes:
    """Mixed shapes: paid, denied, reversal, line adjustments and remarks, a PLB."""
    claims = []
    for i in range(n):
        lines = [ServicePayment("99213", Decimal("125.00"), Decimal("80.00"), units=Decimal(1),
                                service_date=dt.date(2026, 2, 1), line_control_number=f"L{i}-0",
                                adjustments=[Adjustment("CO", "45", Decimal("25.00")),
                                             Adjustment("PR", "2", Decimal("20.00"))], allowed_amount=Decimal("100"),
                                remark_codes=["N130"] if i % 3 == 0 else []),
                 ServicePayment("36415", Decimal("20.00"), Decimal("10.00"), units=Decimal(1),
                                service_date=dt.date(2026, 2, 1), line_control_number=f"L{i}-1",
                                adjustments=[Adjustment("CO", "45", Decimal("10.00"))])]
        status = "4" if i % 11 == 5 else ("22" if i % 13 == 7 else "1")
        claims.append(ClaimPayment(f"C{i:08d}", status, Decimal("145.00"), Decimal("90.00"), Decimal("20.00"), "12",
                                   f"PCN{i}", "11", "1", patient_last_name="DOE", patient_first_name="PAT",
                                   patient_id=f"M{i:08d}", insured_id=f"S{i:08d}" if i % 4 == 1 else None,
                                   rendering_npi="1987654320" if i % 2 else None,
                                   statement_from=dt.date(2026, 2, 1), statement_to=dt.date(2026, 2, 1),
                                   remark_codes=["MA01"] if i % 5 == 0 else [], lines=lines))
    r = Remittance835(payment_amount=Decimal("90.00") * n, trace_number="T1", payment_date=dt.date(2026, 3, 2),
                      payer_trace_id="1234567890", payer_name="BIG HEALTH PLAN", payer_id="BHP01",
                      payee_name="ACME", payee_id="1234567893", claims=claims)
    return build_835([r], sender_id="BHP01", receiver_id="ACME01", interchange_control_number=1,
                     group_control_number=1, created=dt.datetime(2026, 3, 1, 12, 0))


def make_999(n: int) -> bytes:
    """n transaction set answers: accepted, and rejected with segment and element errors."""
    tas = []
    for i in range(n):
        if i % 3:
            tas.append(TransactionAck("837", f"{i + 1:04d}", "A"))
        else:
            tas.append(TransactionAck("837", f"{i + 1:04d}", "R", "005010X222A1", ["5"], [
                SegmentError("NM1", 12 + i % 7, "8", "2010BA", ["SITUATIONAL TRIGGER"],
                             [ElementError("9", "7", "67", "BADID")]),
                SegmentError("REF", 40, "3", "2300")]))
    ack = Ack999("HC", "101", "P", "005010X222A1", n, n, n - len([t for t in tas if t.status == "R"]),
                 transactions=tas)
    return build_999([ack], sender_id="CH01", receiver_id="ACME01", interchange_control_number=1,
                     group_control_number=1, created=dt.datetime(2026, 3, 1, 12, 0))


def _status_claims(n: int) -> list[ClaimStatus]:
    """Accepted, rejected (with a second status) and pended claims over three providers, some with lines."""
    out = []
    for i in range(n):
        sts = ([Status("A7", "562", "85"), Status("A7", "21")] if i % 9 == 4
               else [Status("P1", "")] if i % 7 == 3 else [Status("A2", "20")])
        lines = [LineStatus("99213", Decimal("100.00"), units=Decimal(1), line_control_number=f"L{i}-{k}",
                            service_date=dt.date(2026, 2, 1), statuses=[Status("A2", "20")])
                 for k in range(i % 3)]
        out.append(ClaimStatus(f"C{i:08d}", statuses=sts, effective_date=dt.date(2026, 3, 1),
                               total_charge=Decimal("100.00") * max(1, len(lines)),
                               payer_claim_control_number=f"PCN{i}", member_id=f"M{i:08d}",
                               patient_last_name="DOE", patient_first_name="PAT",
                               provider_npi=("1234567893", "1987654320", None)[i % 3],
                               service_from=dt.date(2026, 2, 1), lines=lines))
    return out


def make_277ca(n: int) -> bytes:
    return build_277ca(_status_claims(n), sender_id="CH01", receiver_id="ACME01", interchange_control_number=1,
                       group_control_number=1, created=dt.datetime(2026, 3, 1, 12, 0))


def make_277(n: int) -> bytes:
    claims = _status_claims(n)
    for c in claims:
        c.patient_account_number, c.paid_amount, c.check_number = c.claim_id, Decimal("80.00"), "CHK1"
    return build_277(claims, sender_id="BHP01", receiver_id="ACME01", interchange_control_number=2,
                     group_control_number=2, created=dt.datetime(2026, 3, 1, 12, 0))


TTYPE = {"837P": "837", "835": "835", "999": "999", "277CA": "277"}
_ttype = "837"


def _transactions(data: bytes):
    return [t for t in iter_transactions(data, keep=True) if t.type == _ttype]


def _comparable(result):
    """What a parse gives, for equality: 835 claim offsets/lengths (the claim's bytes) are not
    part of dataclass equality, so they are compared as well; findings too."""
    if isinstance(result, Remittance835):
        return (result, [(c.offset, c.length) for c in result.claims], result.findings, result.header_offset)
    return result


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
        return [_comparable(parse(t)) for t in _transactions(data)]
    except X12Error as exc:
        return ("X12Error", str(exc))


def parity_inputs(seed: int, n: int, pattern: str = "*.837*", extra: tuple[bytes, ...] = ()) -> list[bytes]:
    import importlib.util
    spec = importlib.util.spec_from_file_location("fuzz_x12", ROOT / "bench" / "fuzz_x12.py")
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    samples = [p.read_bytes() for p in sorted(SAMPLES.rglob(pattern))] + list(extra)
    rng = random.Random(seed)
    return samples + [fuzz.mutate(rng.choice(samples), rng) for _ in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--mutations", type=int, default=2000)
    ap.add_argument("--transaction", choices=sorted(TTYPE), default="837P")
    args = ap.parse_args()
    global _ttype
    _ttype = TTYPE[args.transaction]
    extra: tuple[bytes, ...] = ()     # built files whose mutations join the samples' in the parity check
    if args.transaction == "835":
        parse_old, parse_new = parse_835_old, parse_835_new
        data = make_835(args.claims)
        pattern = "*.835"
    elif args.transaction == "999":
        parse_old, parse_new = parse_999_old, parse_999_new
        data = make_999(args.claims)
        pattern = "*.999"
    elif args.transaction == "277CA":
        parse_old, parse_new = parse_277_old, parse_277_new
        data = make_277ca(args.claims)
        pattern = "*.277"
        extra = (make_277ca(12), make_277(12))
    else:
        parse_old, parse_new = parse_837_old, parse_837_new
        data = build_837p(make_claims(args.claims), submitter=Submitter("ACME", "ACME01"),
                          receiver=Receiver("CH", "CH01"), interchange_control_number=1, group_control_number=1,
                          first_transaction_control_number=1, created=dt.datetime(2026, 3, 1, 12, 0))
        pattern = "*.837*"
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
    print(f"{args.transaction} parse, {args.claims} claims ({len(data) / 1e6:.1f} MB), best of {args.repeat} (CPU time):")
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
    inputs = parity_inputs(1, args.mutations, pattern, extra)
    diff = [i for i, d in enumerate(inputs) if outcome(parse_old, d) != outcome(parse_new, d)]
    print(f"  same claims: bench file {same}; samples + mutations {len(inputs) - len(diff)}/{len(inputs)}")
    if diff:
        print(f"  differing inputs (first 10): {diff[:10]}")
    return 0 if same and ratio <= 1.10 else 1


if __name__ == "__main__":
    sys.exit(main())
