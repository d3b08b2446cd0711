"""Mutated transaction files: every parser and the validator give results or X12Error, nothing else."""
from __future__ import annotations

import pytest
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.edi.errors import X12Error
from include.edi.validate import validate_x12
from include.edi.x271 import parse_271
from include.edi.x276 import parse_276
from include.edi.x277 import parse_277
from include.edi.x835 import parse_835
from include.edi.x837p import read_837p
from include.edi.x999 import parse_999

CASES = [
    (SAMPLES / "835_005010X221A1" / "secondary-payment.835", parse_835),
    (SAMPLES / "837_005010X222A2" / "demo.cob.example3.C.837", read_837p),
    (SAMPLES / "999_005010X231A1" / "response-to-3-837s.999", parse_999),
    (SAMPLES / "277_005010X212" / "claim-level-status.277", parse_277),
    (SAMPLES / "271_005010X279A1" / "dependent-health-benefit-check.271", parse_271),
    (SAMPLES / "276_005010X212" / "claim-level-status.276", parse_276),
]
MUTATION = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(b"*:^~>0123456789AZ .-\n\x00\xff"),
                              st.sampled_from(["set", "del", "ins"])), min_size=1, max_size=8)


def mutate(data: bytes, muts) -> bytes:
    b = bytearray(data)
    for pos, val, op in muts:
        if not b:
            break
        pos %= len(b)
        if op == "set":
            b[pos] = val
        elif op == "del":
            del b[pos]
        else:
            b.insert(pos, val)
    return bytes(b)


@pytest.mark.parametrize("path,parse", CASES, ids=lambda x: getattr(x, "name", getattr(x, "__name__", "")))
@settings(database=None, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                HealthCheck.function_scoped_fixture])
@given(muts=MUTATION)
def test_mutated_files_parse_or_raise_x12error(path, parse, muts):
    data = mutate(path.read_bytes(), muts)
    try:
        parse(data)
    except X12Error:
        pass


@settings(database=None, max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([c[0] for c in CASES]), MUTATION)
def test_mutated_files_validate_or_raise_x12error(path, muts):
    try:
        findings = validate_x12(mutate(path.read_bytes(), muts))
    except X12Error:
        return
    assert isinstance(findings, list)


def test_validation_is_repeatable_with_cached_maps():
    data = (SAMPLES / "835_005010X221A1" / "cob-contractural-adjustment.835").read_bytes()
    clean = (SAMPLES / "835_005010X221A1" / "medicare-part-a.835").read_bytes()
    first = validate_x12(data)
    validate_x12(clean)
    assert validate_x12(data) == first
