"""Fuzz the X12 reader and every parser: only the documented error, never a hang.

    .venv/bin/python bench/fuzz_x12.py [--inputs 100000] [--seed 1] [--time-limit 2.0]

A mutation fuzzer (not in the default test run): it starts from the public samples and
from files the project's own builders make, applies byte- and segment-level mutations
(bit flips, inserted/deleted bytes, truncation, duplicated/dropped/swapped segments,
changed delimiters, random elements), and feeds each input to the streaming reader, the
envelope reader and the parser of every transaction type. Anything other than
`X12Error` — or an input taking longer than the time limit (SIGALRM) — is a crash: the
input is saved under tests/unit/fuzz/crashes/ and becomes a regression test there.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from include.edi import X12Error, read_interchanges  # noqa: E402
from include.edi.reader import iter_segments  # noqa: E402
from include.edi.x271 import parse_271  # noqa: E402
from include.edi.x277 import parse_277  # noqa: E402
from include.edi.x277ca import parse_277ca  # noqa: E402
from include.edi.x835 import parse_835  # noqa: E402
from include.edi.x999 import parse_999  # noqa: E402

SAMPLES = ROOT / "tests" / "fixtures" / "x12-samples"
CRASH_DIR = ROOT / "tests" / "unit" / "fuzz" / "crashes"


def _parse_837(data: bytes):
    from include.edi.reader import iter_transactions
    from include.edi.x837p import parse_837p

    return [parse_837p(t) for t in iter_transactions(data, name="fuzz", keep=True) if t.type == "837"]


PARSERS = {
    "segments": lambda data: sum(1 for _ in iter_segments(data, name="fuzz")),
    "interchanges": lambda data: read_interchanges(data, name="fuzz"),
    "835": lambda data: parse_835(data, name="fuzz"),
    "999": lambda data: parse_999(data, name="fuzz"),
    "277CA": lambda data: parse_277ca(data, name="fuzz"),
    "277": lambda data: parse_277(data, name="fuzz"),
    "271": lambda data: parse_271(data, name="fuzz"),
    "837P": _parse_837,
}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def alternating_delimiters(n: int = 200) -> bytes:
    """``n`` small interchanges whose delimiters change at every ISA (issue 19: the reader
    once re-sliced its buffer per change, quadratic in the input)."""
    from include.edi.reader import Delimiters
    from include.edi.writer import build_interchange

    group = [("HC", "S", "R", 1, "005010X222A1", [("837", 1, [["BHT", "0019", "00", "X"], ["NM1", "41", "2", "A"]])])]
    kinds = [Delimiters("*", ":", "^", "~"), Delimiters("|", ">", "^", "\n"), Delimiters("^", "\\", "{", "'")]
    return b"".join(build_interchange("S", "R", i + 1, group, delimiters=kinds[i % 3]) for i in range(n))


def seed_corpus() -> list[bytes]:
    corpus = [p.read_bytes() for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.suffix not in ("", ".md")
              and not p.name.startswith("LICENSE")]
    return [c for c in corpus if c.lstrip().startswith(b"ISA")] + [alternating_delimiters()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if not buf:
            buf.extend(rng.randbytes(rng.randint(1, 200)))
            continue
        pos = rng.randrange(len(buf))
        if choice < 0.2:                                   # flip bits
            buf[pos] ^= 1 << rng.randrange(8)
        elif choice < 0.35:                                # insert random bytes
            buf[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif choice < 0.5:                                 # delete a run
            del buf[pos:pos + rng.randint(1, 32)]
        elif choice < 0.6:                                 # truncate
            del buf[pos:]
        elif choice < 0.75:                                # segment-level: duplicate, drop or swap
            term = bytes([buf[105]]) if len(buf) > 106 else b"~"
            segments = bytes(buf).split(term)
            if len(segments) > 2:
                i, j = rng.randrange(len(segments)), rng.randrange(len(segments))
                op = rng.randrange(3)
                if op == 0:
                    segments.insert(i, segments[j])
                elif op == 1:
                    del segments[i]
                else:
                    segments[i], segments[j] = segments[j], segments[i]
                buf = bytearray(term.join(segments))
        elif choice < 0.85:                                # replace a delimiter everywhere
            if len(buf) > 106:
                old = buf[rng.choice([3, 104, 105])]
                new = rng.choice(b"*|~^:>!\n\x00")
                buf = bytearray(bytes(buf).replace(bytes([old]), bytes([new])))
        elif choice < 0.95:                                # a random, long or empty element
            junk = rng.choice([b"", b"*" * 50, rng.randbytes(16), b"9" * 40, b"-1.5.5", b"20260231"])
            buf[pos:pos] = b"*" + junk
        else:                                              # pure noise
            buf = bytearray(rng.randbytes(rng.randint(0, 400)))
    return bytes(buf)


def run_one(data: bytes, time_limit: float) -> list[tuple[str, str]]:
    """Feed one input to every parser; return (parser, problem) for each crash."""
    crashes = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for name, parse in PARSERS.items():
            crashes.extend(_run_parser(name, parse, data, time_limit))
    finally:
        signal.signal(signal.SIGALRM, previous)
    return crashes


def _run_parser(name, parse, data: bytes, time_limit: float) -> list[tuple[str, str]]:
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        parse(data)
    except X12Error:
        return []
    except Hang:
        return [(name, f"no answer within {time_limit} s")]
    except Exception:  # noqa: BLE001 - the point is to catch anything else
        return [(name, traceback.format_exc(limit=4))]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    corpus = seed_corpus()
    crashes: dict[str, tuple[str, str]] = {}
    outcomes = Counter()
    started = time.perf_counter()
    slowest = 0.0
    for i in range(args.inputs):
        data = mutate(rng.choice(corpus), rng)
        t0 = time.perf_counter()
        found = run_one(data, args.time_limit)
        slowest = max(slowest, time.perf_counter() - t0)
        outcomes["crash" if found else "ok"] += 1
        for parser_name, problem in found:
            digest = hashlib.sha256(data).hexdigest()[:16]
            if digest not in crashes:
                crashes[digest] = (parser_name, problem)
                CRASH_DIR.mkdir(parents=True, exist_ok=True)
                (CRASH_DIR / f"{digest}.x12").write_bytes(data)
                print(f"CRASH {digest} in {parser_name}:\n{problem}", flush=True)
        if (i + 1) % 10_000 == 0:
            rate = (i + 1) / (time.perf_counter() - started)
            print(f"{i + 1:>8} inputs  {rate:8.0f} inputs/s  crashes {len(crashes)}", flush=True)
    elapsed = time.perf_counter() - started
    print(f"\nfuzzed {args.inputs} inputs × {len(PARSERS)} parsers in {elapsed:.1f} s "
          f"({args.inputs / elapsed:.0f} inputs/s); slowest input {slowest * 1000:.1f} ms; "
          f"distinct crashes: {len(crashes)} (saved under {CRASH_DIR.relative_to(ROOT)})")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
