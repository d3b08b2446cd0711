"""Data quality: the claim-level checks run over one row per claim and the line checks over every line,
and find exactly what the whole suite over every row finds (the way it ran before the split)."""

from __future__ import annotations

import random

import pandas as pd

from include.billing import data_quality
from include.billing.data_quality import CHECKS, LINE_COLUMNS

GOOD_CLAIM = {
    "member_id": "M1", "patient_last_name": "ROE", "patient_first_name": "ANN", "patient_birth_date": "1970-01-01",
    "patient_sex": "F", "patient_address1": "1 MAIN ST", "patient_city": "SPRINGFIELD", "patient_state": "IL",
    "patient_zip": "62701", "subscriber_last_name": "ROE", "subscriber_first_name": "ANN",
    "subscriber_birth_date": "1970-01-01", "subscriber_sex": "F", "subscriber_address1": "1 MAIN ST",
    "subscriber_city": "SPRINGFIELD", "subscriber_state": "IL", "subscriber_zip": "62701", "relationship_code": "18",
    "payer_id": "3", "payer_name": "BLUE", "billing_npi": "1234567893", "billing_tax_id": "123456789",
    "billing_state": "IL", "billing_zip": "627011234", "rendering_npi": "1234567893", "referring_npi": None,
    "place_of_service": "11", "date_of_service": "2026-11-02", "diagnosis_codes": "E119,I10"}
GOOD_LINE = {"procedure_code": "99213", "modifier1": "25", "modifier2": None, "modifier3": None, "modifier4": None,
             "units": 1.0, "charge": 125.0, "service_date": "2026-11-02"}
CLAIM_DEFECTS = [("member_id", " "), ("member_id", None), ("patient_zip", "6270"), ("patient_state", "Il"),
                 ("subscriber_birth_date", "1970-13-01"), ("patient_sex", "X"), ("payer_name", "BLUE*CROSS"),
                 ("billing_npi", "123"), ("place_of_service", None), ("diagnosis_codes", "E11.9"),
                 ("date_of_service", None), ("patient_city", "A~B"), ("referring_npi", "12345")]
LINE_DEFECTS = [("procedure_code", "9921"), ("modifier2", "255"), ("units", 0.0), ("charge", -1.0),
                ("service_date", "2026-02-30"), ("procedure_code", None)]


def _frame(seed: int, claims: int = 60) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for cid in range(1, claims + 1):
        claim = dict(GOOD_CLAIM)
        for column, value in rnd.sample(CLAIM_DEFECTS, rnd.choice([0, 0, 1, 2])):
            claim[column] = value
        lines = rnd.choice([0, 1, 1, 2, 3, 4])
        for _ in range(max(lines, 1)):
            line = dict(GOOD_LINE) if lines else dict.fromkeys(GOOD_LINE)      # a claim without lines
            if lines and rnd.random() < 0.3:
                column, value = rnd.choice(LINE_DEFECTS)
                line[column] = value
            rows.append({"claim_id": cid, **claim, **line})
    df = pd.DataFrame(rows).astype(object)
    df = df.where(df.notna(), None)
    df["units"] = pd.to_numeric(df["units"], errors="coerce")
    df["charge"] = pd.to_numeric(df["charge"], errors="coerce")
    df["claim_id"] = df["claim_id"].astype("int64")
    return df


def _whole_suite(df):
    """The suite over every row at once: each check, in CHECKS order, and the claims it fails."""
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    batch = ctx.data_sources.add_pandas("whole").add_dataframe_asset("rows").add_batch_definition_whole_dataframe("all")
    suite = ctx.suites.add(gx.ExpectationSuite(name="whole"))
    for i, check in enumerate(CHECKS):
        suite.add_expectation(data_quality._expectation(check, i))
    definition = ctx.validation_definitions.add(gx.ValidationDefinition(name="whole", data=batch, suite=suite))
    result = definition.run(batch_parameters={"dataframe": df}, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": ["claim_id"],
        "return_unexpected_index_query": False})
    out = []
    for r in sorted(result.results, key=lambda r: int(r.expectation_config.meta["index"])):
        ids = sorted({int(row["claim_id"]) for row in (r.result or {}).get("unexpected_index_list") or []})
        out.append((int(r.expectation_config.meta["index"]), r.expectation_config.type, bool(r.success), ids))
    return out


def test_claim_and_line_checks_split_find_what_the_whole_suite_finds():
    for seed in (1, 2, 3):
        df = _frame(seed)
        failures, summary = data_quality.validate_frame(df)
        whole = _whole_suite(df)
        assert [(s["expectation"], s["success"], s["claim_ids"]) for s in summary] == [(t, ok, ids) for _i, t, ok, ids in whole]
        expected: dict[int, list] = {}
        for i, t, _ok, ids in whole:
            for cid in ids:
                expected.setdefault(cid, []).append((CHECKS[i], t))
        assert failures == expected
        assert failures                                  # the frame has defects of both kinds
        assert any(c.column in LINE_COLUMNS for f in failures.values() for c, _t in f)
        assert any(c.column not in LINE_COLUMNS for f in failures.values() for c, _t in f)


def test_every_check_runs_once_in_one_of_the_two_validations():
    definitions = data_quality._definitions()
    indexes = sorted(int(e.meta["index"]) for d in definitions.values() for e in d.suite.expectations)
    assert indexes == list(range(len(CHECKS)))
    assert all(c.column in LINE_COLUMNS for e in definitions["lines"].suite.expectations
               for c in [CHECKS[int(e.meta["index"])]])
