"""Scrubbing rules: pure functions over plain claims (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from include.billing import scrub
from include.billing.npi import npi_check_digit
from include.billing.scrub import ScrubClaim, ScrubLine, scrub_claim

TODAY = dt.date(2026, 11, 27)
GOOD_NPI = "123456789" + npi_check_digit("123456789")
BAD_NPI = GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)


def claim(**kw) -> ScrubClaim:
    lines = kw.pop("lines", None) or [
        ScrubLine(1, "99213", Decimal("120.00"), dx_pointers=[1], service_date=TODAY - dt.timedelta(days=3)),
        ScrubLine(2, "G0442", Decimal("30.50"), modifiers=["25"], dx_pointers=[2, 1],
                  service_date=TODAY - dt.timedelta(days=3)),
    ]
    base = dict(claim_id=1, claim_number="V0000001P1", date_of_service=TODAY - dt.timedelta(days=3),
                total_charge=sum((ln.charge for ln in lines), Decimal(0)), diagnosis_codes=["E119", "I10"],
                lines=lines, billing_npi=GOOD_NPI, rendering_npi=GOOD_NPI, referring_npi=None,
                payer_identifier="BCBS1", timely_filing_days=365)
    base.update(kw)
    return ScrubClaim(**base)


def codes(c) -> set[str]:
    return {f.code for f in scrub_claim(c, TODAY)}


def test_clean_claim_passes():
    assert scrub_claim(claim(), TODAY) == []


def test_every_rule_is_registered_once_with_its_code():
    names = [code for code, _rule in scrub.RULES]
    assert len(names) == len(set(names)) == 12
    assert all(code.startswith("SCRUB_") for code in names)


@pytest.mark.parametrize("role", ["billing_npi", "rendering_npi", "referring_npi"])
def test_npi_check_digit_for_each_role(role):
    assert codes(claim(**{role: BAD_NPI})) == {"SCRUB_NPI"}


def test_missing_billing_npi_fails_but_missing_referring_is_fine():
    assert codes(claim(billing_npi=None)) == {"SCRUB_NPI"}
    assert codes(claim(referring_npi=None, rendering_npi=None)) == set()


@pytest.mark.parametrize("code", ["E11", "E11.9X", "ZZZ99", "S72001", "M54"])
def test_non_billable_icd10(code):
    assert codes(claim(diagnosis_codes=[code, "I10"])) == {"SCRUB_ICD10_NOT_BILLABLE"}


@pytest.mark.parametrize("code", ["E119", "I10", "S72001A", "Z0000", "J069"])
def test_billable_icd10(code):
    assert "SCRUB_ICD10_NOT_BILLABLE" not in codes(claim(diagnosis_codes=[code, "I10"]))


@pytest.mark.parametrize("proc, ok", [("99213", True), ("G0442", True), ("0001U", True), ("9921", False),
                                      ("99213A", False), ("g0442", False), ("A12B4", False)])
def test_cpt_format(proc, ok):
    lines = [ScrubLine(1, proc, Decimal("10"), dx_pointers=[1], service_date=TODAY)]
    c = claim(lines=lines, total_charge=Decimal("10"), date_of_service=TODAY)
    assert ("SCRUB_CPT_FORMAT" in codes(c)) is not ok


@pytest.mark.parametrize("mods, ok", [(["25"], True), (["GP", "59", "KX", "CQ"], True), (["ZZ"], False),
                                      (["25", "25"], False), (["GP", "59", "KX", "CQ", "76"], False)])
def test_modifiers(mods, ok):
    lines = [ScrubLine(1, "97110", Decimal("10"), modifiers=mods, dx_pointers=[1], service_date=TODAY)]
    c = claim(lines=lines, total_charge=Decimal("10"), date_of_service=TODAY)
    assert ("SCRUB_MODIFIER" in codes(c)) is not ok


@pytest.mark.parametrize("pointers, n_dx, ok", [([1], 2, True), ([1, 2], 2, True), ([3], 2, False), ([], 2, False),
                                                ([1, 2, 3, 4, 5], 6, False), ([0], 2, False), ([1, 1], 2, False),
                                                ([1], 13, False)])
def test_dx_pointers(pointers, n_dx, ok):
    dx = ["E119", "I10", "J069", "R051", "M545", "K219", "N390", "R109", "E785", "F419", "G4700", "L309",
          "Z0000"][:n_dx]
    lines = [ScrubLine(1, "99213", Decimal("10"), dx_pointers=pointers, service_date=TODAY)]
    c = claim(lines=lines, total_charge=Decimal("10"), diagnosis_codes=dx, date_of_service=TODAY)
    assert ("SCRUB_DX_POINTER" in codes(c)) is not ok


def test_totals():
    assert codes(claim(total_charge=Decimal("150.49"))) == {"SCRUB_TOTALS"}
    zero = [ScrubLine(1, "99213", Decimal("0"), dx_pointers=[1], service_date=TODAY)]
    assert codes(claim(lines=zero, total_charge=Decimal("0"), date_of_service=TODAY)) == {"SCRUB_TOTALS"}


def test_future_date_and_timely_filing():
    future = TODAY + dt.timedelta(days=1)
    lines = [ScrubLine(1, "99213", Decimal("10"), dx_pointers=[1], service_date=future)]
    assert codes(claim(lines=lines, total_charge=Decimal("10"), date_of_service=future)) == {"SCRUB_DOS_FUTURE"}
    old = TODAY - dt.timedelta(days=91)
    lines = [ScrubLine(1, "99213", Decimal("10"), dx_pointers=[1], service_date=old)]
    assert codes(claim(lines=lines, total_charge=Decimal("10"), date_of_service=old,
                       timely_filing_days=90)) == {"SCRUB_TIMELY_FILING"}
    assert codes(claim(lines=lines, total_charge=Decimal("10"), date_of_service=old,
                       timely_filing_days=91)) == set()


def test_duplicate_and_unknown_payer():
    c = claim()
    c.lines[0].duplicate_of = "V0000002P1"
    assert codes(c) == {"SCRUB_DUPLICATE"}
    assert codes(claim(payer_identifier=None)) == {"SCRUB_PAYER_UNKNOWN"}
    assert codes(claim(payer_identifier="  ")) == {"SCRUB_PAYER_UNKNOWN"}


def test_messages_carry_no_diagnosis_codes():
    c = claim(diagnosis_codes=["E11", "I10"])
    assert all("E11" not in f.message for f in scrub_claim(c, TODAY))


@settings(max_examples=200, deadline=None)
@given(charges=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
                        min_size=1, max_size=50),
       delta=st.decimals(min_value=Decimal("-5"), max_value=Decimal("5"), places=2))
def test_totals_rule_is_exact_money_arithmetic(charges, delta):
    lines = [ScrubLine(i + 1, "99213", ch, dx_pointers=[1], service_date=TODAY) for i, ch in enumerate(charges)]
    c = claim(lines=lines, total_charge=sum(charges, Decimal(0)) + delta, date_of_service=TODAY)
    assert (scrub.rule_totals(c, TODAY) != []) is (delta != 0)


@settings(max_examples=200, deadline=None)
@given(code=st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789a-."), max_size=7))
def test_cpt_rule_agrees_with_the_regex(code):
    lines = [ScrubLine(1, code, Decimal("10"), dx_pointers=[1], service_date=TODAY)]
    c = claim(lines=lines, total_charge=Decimal("10"), date_of_service=TODAY)
    assert (scrub.rule_cpt_format(c, TODAY) == []) is bool(scrub.CPT_HCPCS.match(code))


@settings(max_examples=100, deadline=None)
@given(npi=st.text(alphabet="0123456789", min_size=0, max_size=11))
def test_npi_rule_agrees_with_the_check_digit(npi):
    from include.billing.npi import is_valid_npi

    assert (scrub.rule_npi(claim(billing_npi=npi), TODAY) == []) is is_valid_npi(npi)


def _package_billable(code) -> bool:
    """What scrub asked simple_icd_10_cm before it read the code set from a table."""
    import simple_icd_10_cm as cm

    try:
        return cm.is_valid_item(code) and cm.is_leaf(code)
    except Exception:
        return False


def test_icd10_table_answers_as_the_package_over_the_whole_code_set(monkeypatch, tmp_path):
    from simple_icd_10_cm import simple_icd_10_cm as cm_module

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path))
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    names = list(cm_module._code_to_node)
    probes = set(names) | {n.replace(".", "") for n in names} | {
        "", "A", "A0", "A00.", "A00-A09", "a00.0", "J45.90X", "Z00.00 ", "99213", "E11.9.", "I10", "I1O", "R69"}
    differ = [c for c in sorted(probes) if scrub.icd10_billable(c) != _package_billable(c)]
    assert differ == []
    assert (tmp_path / "cache" / "icd10cm-items.json").exists()
    # read back from the cache folder: the same answers
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    assert [c for c in sorted(probes) if scrub.icd10_billable(c) != _package_billable(c)] == []


def test_icd10_cache_of_another_code_set_is_not_used(monkeypatch, tmp_path):
    import json

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path))
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "icd10cm-items.json").write_text(json.dumps(
        {"key": "another release", "leaves": ["A00"], "others": ["I10"]}))
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    try:
        assert scrub.icd10_billable("I10") and not scrub.icd10_billable("A00")
        assert json.loads((tmp_path / "cache" / "icd10cm-items.json").read_text())["key"] == scrub._icd10_data_key()
    finally:
        scrub._icd10_table.cache_clear()
        scrub.icd10_billable.cache_clear()
