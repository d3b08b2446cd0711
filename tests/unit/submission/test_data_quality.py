"""Data quality: the checks run in groups of columns over the distinct rows of each group (claim fields
from one row per claim, line fields from every line), and find exactly what the whole suite over every
row finds (the way it ran before the split)."""

from __future__ import annotations

import random

import pandas as pd

from include.billing import data_quality
from include.billing.data_quality import CHECKS, GROUPS, LINE_COLUMNS

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
                 ("date_of_service", None), ("patient_city", "A~B"), ("referring_npi", "12345"),
                 ("member_id", ""), ("patient_last_name", "\t"), ("subscriber_first_name", None),
                 ("patient_birth_date", None), ("subscriber_zip", "62701-1234"), ("billing_tax_id", None),
                 ("payer_id", None), ("rendering_npi", None), ("patient_address1", "1 MAIN ST\n"),
                 ("date_of_service", "2026-11-2"), ("diagnosis_codes", "E119,"), ("subscriber_sex", None)]
LINE_DEFECTS = [("procedure_code", "9921"), ("modifier2", "255"), ("units", 0.0), ("charge", -1.0),
                ("service_date", "2026-02-30"), ("procedure_code", None), ("units", float("nan")),
                ("modifier1", ""), ("service_date", None), ("charge", 0.0)]


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
    # claims share most values (GOOD_CLAIM, GOOD_LINE) and a defect recurs on several claims: a distinct
    # row that fails must hold every claim that has it
    for seed, claims in ((1, 60), (2, 60), (3, 60), (4, 400)):
        df = _frame(seed, claims)
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


def test_every_check_runs_once_in_the_validation_of_its_columns_group():
    definitions = data_quality._definitions()
    assert list(definitions) == list(GROUPS)
    indexes = sorted(int(e.meta["index"]) for d in definitions.values() for e in d.suite.expectations)
    assert indexes == list(range(len(CHECKS)))
    for group, definition in definitions.items():
        assert all(CHECKS[int(e.meta["index"])].column in GROUPS[group] for e in definition.suite.expectations)
    columns = [c for cols in GROUPS.values() for c in cols]
    assert len(columns) == len(set(columns))                       # a column is in one group
    assert set(GROUPS["lines"]) == LINE_COLUMNS                   # the line checks see the line rows
    assert {c.column for c in CHECKS} <= set(columns)


# what data quality read before it read claim and line rows apart: one row per line with the claim's
# fields repeated (a claim without lines: one row with empty line fields)
JOINED_ROWS = """
SELECT c.id AS claim_id, ip.member_id,
       pt.last_name AS patient_last_name, pt.first_name AS patient_first_name,
       to_char(pt.birth_date, 'YYYY-MM-DD') AS patient_birth_date, pt.sex AS patient_sex,
       pt.address1 AS patient_address1, pt.city AS patient_city, pt.state AS patient_state, pt.zip AS patient_zip,
       ip.subscriber_last_name, ip.subscriber_first_name,
       to_char(ip.subscriber_birth_date, 'YYYY-MM-DD') AS subscriber_birth_date, ip.subscriber_sex,
       ip.subscriber_address1, ip.subscriber_city, ip.subscriber_state, ip.subscriber_zip, ip.relationship_code,
       c.payer_id::text AS payer_id, py.name AS payer_name,
       bp.npi AS billing_npi, bp.tax_id AS billing_tax_id, bp.state AS billing_state, bp.zip AS billing_zip,
       rp.npi AS rendering_npi, fp.npi AS referring_npi, v.place_of_service,
       to_char(c.date_of_service, 'YYYY-MM-DD') AS date_of_service,
       nullif(array_to_string(c.diagnosis_codes, ','), '') AS diagnosis_codes,
       l.procedure_code, l.modifiers[1] AS modifier1, l.modifiers[2] AS modifier2, l.modifiers[3] AS modifier3,
       l.modifiers[4] AS modifier4, l.units::float8 AS units, l.charge::float8 AS charge,
       to_char(l.service_date, 'YYYY-MM-DD') AS service_date
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.patients pt ON pt.id = v.patient_id
LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
LEFT JOIN pm.providers rp ON rp.id = v.rendering_provider_id
LEFT JOIN pm.providers fp ON fp.id = v.referring_provider_id
LEFT JOIN billing.claim_lines l ON l.claim_id = c.id
WHERE c.status = 'new'
ORDER BY c.id, l.line_number
"""


def test_claim_and_line_rows_from_the_database_find_what_the_joined_rows_find(db):
    import datetime as dt

    from include.billing import claims as ledger
    from include.practice.seed import seed_practice

    seed_practice(db, visits=120, seed=5, dirty_share=0.3)
    ledger.pick_up_visits(db, high_water=dt.datetime.now(dt.timezone.utc), actor="t")
    ledger.build_claims(db, actor="t")
    ids = [r[0] for r in db.execute("SELECT id FROM billing.claims ORDER BY id")]
    # defects shared by several claims, and a claim without lines
    db.execute("UPDATE pm.insurance_policies SET member_id = ' ' WHERE id IN "
               "(SELECT policy_id FROM billing.claims WHERE id = ANY(%s))", (ids[:3],))
    db.execute("UPDATE billing.claim_lines SET modifiers = '{259}' WHERE claim_id = ANY(%s)", (ids[3:6],))
    db.execute("DELETE FROM billing.claim_lines WHERE claim_id = %s", (ids[6],))
    db.execute("UPDATE billing.claims SET status = 'held' WHERE id = %s", (ids[7],))      # not new: not read

    claims, lines = data_quality.load_frames(db)
    cur = db.execute(JOINED_ROWS)
    joined = pd.DataFrame.from_records(cur.fetchall(), columns=[d.name for d in cur.description]).astype(object)
    joined = joined.where(joined.notna(), None)
    for column in ("units", "charge"):
        joined[column] = pd.to_numeric(joined[column], errors="coerce")
    joined["claim_id"] = joined["claim_id"].astype("int64")

    assert list(claims["claim_id"]) == sorted(set(joined["claim_id"])) and ids[7] not in set(claims["claim_id"])
    assert len(lines) == len(joined)                                  # rows_checked is what it was
    assert lines[lines["claim_id"] == ids[6]].drop(columns="claim_id").isna().all(axis=None)
    assert all(claims[c].dtype == object for c in claims.columns if c != "claim_id")
    found = data_quality.validate_frames(claims, lines)
    assert found == data_quality.validate_frame(joined)
    held = found[0]
    assert set(ids[:3]) <= set(held) and set(ids[3:6]) <= set(held)


def test_an_expectation_that_cannot_run_stops_the_stage_instead_of_passing_claims():
    # GX 1.x reports a metric that raised per metric id ({id: {"raised_exception": True}}), not at the
    # top of exception_info: a missing column must stop the stage, not read as "failed, no claims held"
    df = _frame(5, 10).drop(columns=["patient_zip"])
    try:
        data_quality.validate_frame(df)
    except RuntimeError as exc:
        assert "could not run" in str(exc) and "patient_zip" in str(exc)
    else:
        raise AssertionError("a check over a missing column passed")
    assert data_quality._raised_exception({"MetricConfigurationID(...)": {"raised_exception": True}})
    assert data_quality._raised_exception({"raised_exception": True})
    assert not data_quality._raised_exception({"MetricConfigurationID(...)": {"raised_exception": False}})
    assert not data_quality._raised_exception(None)
