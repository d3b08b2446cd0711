"""Inputs the fuzzer (bench/fuzz_x12.py) found, plus hand-picked nasty ones: only X12Error, ever."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from include.edi import X12Error

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("fuzz_x12", HERE.parents[2] / "bench" / "fuzz_x12.py")
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

ISA = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:~"
HAND_PICKED = {
    "empty": b"",
    "whitespace": b" \r\n\t",
    "isa_only": ISA,
    "isa_truncated": ISA[:60],
    "no_terminator": ISA[:-1] + b"GS*HC*A*B*20260101*1200*1*X*005010X222A1",
    "st_without_se": ISA + b"GS*HP*A*B*20260101*1200*1*X*005010X221A1~ST*835*0001~CLP*X*1*abc~",
    "se_count_garbage": ISA + b"GS*HP*A*B*20260101*1200*1*X*005010X221A1~ST*835*0001~SE*zz*0001~GE*1*1~IEA*1*000000001~",
    "nul_delimiters": ISA.replace(b"*", b"\x00"),
    "binary": bytes(range(256)) * 4,
    "alternating_delimiters": fuzz.alternating_delimiters(),
}
CRASHES = sorted((HERE / "crashes").glob("*.x12"))


@pytest.mark.parametrize("data", list(HAND_PICKED.values()), ids=list(HAND_PICKED))
def test_hand_picked_inputs_give_only_the_documented_error(data):
    assert fuzz.run_one(data, time_limit=5.0) == []


@pytest.mark.parametrize("path", CRASHES, ids=[p.name for p in CRASHES])
def test_fuzzer_findings_stay_fixed(path):
    assert fuzz.run_one(path.read_bytes(), time_limit=5.0) == []


def test_run_one_reports_a_crash_when_a_parser_misbehaves(monkeypatch):
    # the harness itself must be able to fail: a parser raising something else is caught
    def broken(data):
        raise ValueError("boom")

    monkeypatch.setitem(fuzz.PARSERS, "broken", broken)
    crashes = fuzz.run_one(b"", time_limit=1.0)
    assert [name for name, _ in crashes] == ["broken"]
    with pytest.raises(X12Error):
        fuzz.PARSERS["segments"](ISA[:60])
