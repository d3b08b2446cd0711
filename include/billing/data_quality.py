"""Data quality of new claims with Great Expectations 1.x (ephemeral context, pandas).

The suite checks what an 837P needs before anything is sent anywhere: required fields, formats
(ZIP, NPI, state), code shapes (CPT/HCPCS, ICD-10-CM, modifiers), dates and amounts. A claim
whose rows fail an expectation is held with one work-queue item per failed field
(`DQ_<FIELD>`); the others go on to eligibility. Each expectation judges one value at a time, so the
fields are checked in groups (GROUPS: persons, birth dates, diagnoses, providers, visits, lines), each over the
distinct rows of its columns: a patient's name and address once however many claims and lines carry
them, and a failing row holds every claim that has it.

The validation summary (claim ids, expectation names and counts; never values) is written to
the artefact store (`billing.artefacts`, kind dq_results) as `<run_id>.json`, and a copy in
BILLING_DQ_RESULTS_DIR when that is set.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import os
import re
from dataclasses import dataclass
from pathlib import Path

from include.billing.artefacts import store as store_artefact
from include.billing.claims import WorkItem, hold_claims
from include.billing.private_files import private_dir, write_private
from include.billing.rcm_sql import query
from include.billing.settings import load as load_settings
from include.edi.writer import DEFAULT as X12_DELIMITERS

CPT_REGEX = r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$"
ICD10_REGEX = r"^[A-TV-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$"
ICD10_LIST_REGEX = rf"^{ICD10_REGEX[1:-1]}(?:,{ICD10_REGEX[1:-1]})*$"
ZIP_REGEX = r"^(?:[0-9]{5}|[0-9]{9})$"
STATE_REGEX = r"^[A-Z]{2}$"
NPI_REGEX = r"^[0-9]{10}$"
NOT_BLANK = r"\S"
# the separators our 837P writer uses (element, component, repetition, segment) and line breaks:
# one of them inside a name would split or end a segment, and pyx12 would then hold the whole file
DELIMITER_CHARS = "".join(sorted({X12_DELIMITERS.element, X12_DELIMITERS.component, X12_DELIMITERS.repetition,
                                  X12_DELIMITERS.segment, "\r", "\n"}))
DELIMITER_REGEX = "[" + "".join({"\n": "\\n", "\r": "\\r"}.get(c, "\\" + c if c in "^]\\-" else c)
                               for c in DELIMITER_CHARS) + "]"
# free-text fields from the practice-management system that the 837P carries as they are
FREE_TEXT_FIELDS = [
    ("member_id", "MEMBER_ID", "subscriber member id"),
    ("patient_last_name", "PATIENT_NAME", "patient last name"),
    ("patient_first_name", "PATIENT_NAME", "patient first name"),
    ("patient_address1", "PATIENT_ADDRESS", "patient street address"),
    ("patient_city", "PATIENT_ADDRESS", "patient city"),
    ("subscriber_last_name", "SUBSCRIBER_NAME", "subscriber last name"),
    ("subscriber_first_name", "SUBSCRIBER_NAME", "subscriber first name"),
    ("subscriber_address1", "SUBSCRIBER_ADDRESS", "subscriber street address"),
    ("subscriber_city", "SUBSCRIBER_ADDRESS", "subscriber city"),
    ("payer_name", "PAYER_NAME", "payer name"),
]
ISO_DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class Check:
    kind: str            # present | regex | in_set | date | positive | length2
    column: str
    field: str           # reason code suffix: DQ_<FIELD>
    label: str           # plain-language name of the field
    arg: object = None


def _checks() -> list[Check]:
    checks: list[Check] = []

    def present(col, field, label):
        checks.append(Check("present", col, field, label))
        checks.append(Check("regex", col, field, label, NOT_BLANK))

    present("member_id", "MEMBER_ID", "subscriber member id")
    for who in ("patient", "subscriber"):
        present(f"{who}_last_name", f"{who.upper()}_NAME", f"{who} last name")
        present(f"{who}_first_name", f"{who.upper()}_NAME", f"{who} first name")
        checks.append(Check("present", f"{who}_birth_date", f"{who.upper()}_BIRTH_DATE", f"{who} birth date"))
        checks.append(Check("date", f"{who}_birth_date", f"{who.upper()}_BIRTH_DATE", f"{who} birth date"))
        checks.append(Check("in_set", f"{who}_sex", f"{who.upper()}_SEX", f"{who} sex", ["M", "F", "U"]))
        present(f"{who}_address1", f"{who.upper()}_ADDRESS", f"{who} street address")
        present(f"{who}_city", f"{who.upper()}_ADDRESS", f"{who} city")
        checks.append(Check("regex", f"{who}_state", f"{who.upper()}_ADDRESS", f"{who} state (2 letters)",
                            STATE_REGEX))
        checks.append(Check("regex", f"{who}_zip", f"{who.upper()}_ZIP", f"{who} ZIP code (5 or 9 digits)",
                            ZIP_REGEX))
    checks.append(Check("present", "payer_id", "PAYER_ID", "payer"))
    checks.append(Check("present", "billing_npi", "BILLING_NPI", "billing provider NPI"))
    checks.append(Check("regex", "billing_npi", "BILLING_NPI", "billing provider NPI (10 digits)", NPI_REGEX))
    checks.append(Check("regex", "billing_tax_id", "BILLING_TAX_ID", "billing provider tax id (9 digits)",
                        r"^[0-9]{9}$"))
    checks.append(Check("regex", "billing_state", "BILLING_ADDRESS", "billing provider state", STATE_REGEX))
    checks.append(Check("regex", "billing_zip", "BILLING_ZIP", "billing provider ZIP code", ZIP_REGEX))
    checks.append(Check("regex", "rendering_npi", "RENDERING_NPI", "rendering provider NPI (10 digits)",
                        NPI_REGEX))
    checks.append(Check("regex", "referring_npi", "REFERRING_NPI", "referring provider NPI (10 digits)",
                        NPI_REGEX))
    checks.append(Check("present", "place_of_service", "PLACE_OF_SERVICE", "place of service"))
    checks.append(Check("regex", "place_of_service", "PLACE_OF_SERVICE", "place of service (2 digits)",
                        r"^[0-9]{2}$"))
    checks.append(Check("present", "date_of_service", "DATE_OF_SERVICE", "date of service"))
    checks.append(Check("date", "date_of_service", "DATE_OF_SERVICE", "date of service"))
    checks.append(Check("present", "diagnosis_codes", "DIAGNOSIS", "principal diagnosis"))
    checks.append(Check("regex", "diagnosis_codes", "DIAGNOSIS", "diagnosis codes (ICD-10-CM shape)",
                        ICD10_LIST_REGEX))
    checks.append(Check("regex", "procedure_code", "PROCEDURE_CODE", "procedure code (CPT/HCPCS shape)",
                        CPT_REGEX))
    for i in range(1, 5):
        checks.append(Check("length2", f"modifier{i}", "MODIFIER", f"modifier {i} (2 characters)"))
    checks.append(Check("positive", "units", "UNITS", "line units (more than 0)"))
    checks.append(Check("positive", "charge", "CHARGE", "line charge (more than 0)"))
    checks.append(Check("date", "service_date", "SERVICE_DATE", "line service date"))
    for column, field, label in FREE_TEXT_FIELDS:
        checks.append(Check("x12_safe", column, f"{field}_DELIMITER", label, DELIMITER_REGEX))
    return checks


CHECKS = _checks()

_RULE_WORDS = {
    "present": "must be present",
    "regex": "has the wrong format",
    "in_set": "is not one of the allowed values",
    "date": "is not a valid date",
    "positive": "must be more than zero",
    "length2": "must be exactly 2 characters",
    "x12_safe": ("contains a character the 837P uses as a separator (" + " ".join(
        repr(c)[1:-1] for c in DELIMITER_CHARS) + "); remove it"),
}


def _expectation(check: Check, index: int):
    import great_expectations.expectations as gxe

    meta = {"field": check.field, "label": check.label, "kind": check.kind, "index": index}
    col = check.column
    if check.kind == "present":
        return gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta)
    if check.kind == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(column=col, regex=check.arg, meta=meta)
    if check.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=col, value_set=check.arg, meta=meta)
    if check.kind == "date":
        return gxe.ExpectColumnValuesToMatchStrftimeFormat(column=col, strftime_format=ISO_DATE, meta=meta)
    if check.kind == "positive":
        return gxe.ExpectColumnValuesToBeBetween(column=col, min_value=0, strict_min=True, meta=meta)
    if check.kind == "length2":
        return gxe.ExpectColumnValueLengthsToEqual(column=col, value=2, meta=meta)
    if check.kind == "x12_safe":
        return gxe.ExpectColumnValuesToNotMatchRegex(column=col, regex=check.arg, meta=meta)
    raise ValueError(check.kind)


def _quiet_gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)


# the columns that differ from line to line of a claim; every other column is the claim's (the same on
# each of its rows), so its checks run over the claims, not over their lines
LINE_COLUMNS = frozenset({"procedure_code", "modifier1", "modifier2", "modifier3", "modifier4", "units", "charge",
                          "service_date"})

# Every expectation here is a column map expectation: it judges each value of its column on its own. So
# the checked columns are validated in groups, each over the distinct rows of its columns (a patient with
# five claims is checked once, the practice's few providers once), and a distinct row that fails an
# expectation fails every claim that has it: the same claims as checking every claim, for a fraction of
# the rows (at 89,000 claims: 43,000 person rows, 30,000 birth-date pairs, 21,000 diagnosis lists, a few
# hundred provider and visit rows, 4,500 distinct lines of 177,000). Which columns share a group changes
# only the speed, never a result.
GROUPS: dict[str, tuple[str, ...]] = {
    "persons": ("member_id", *(f"{who}_{field}" for who in ("patient", "subscriber")
                               for field in ("last_name", "first_name", "sex", "address1", "city", "state", "zip"))),
    # apart from the persons: fewer distinct values (days), and their check parses each one
    "birth_dates": ("patient_birth_date", "subscriber_birth_date"),
    "diagnoses": ("diagnosis_codes",),
    "providers": ("payer_id", "payer_name", "billing_npi", "billing_tax_id", "billing_state", "billing_zip",
                  "rendering_npi", "referring_npi"),
    "visits": ("place_of_service", "date_of_service"),
    "lines": tuple(sorted(LINE_COLUMNS)),       # over the line rows
}
GROUP_OF = {column: group for group, columns in GROUPS.items() for column in columns}
ROW_KEY = "group_row"       # the key column of a group's distinct rows: how a failing row finds its claims

_DEFINITIONS = None     # one validation per group and their ephemeral context: built once per process


def _definitions() -> dict:
    """{group: the validation definition of the checks on that group's columns}, in GROUPS order."""
    global _DEFINITIONS
    if _DEFINITIONS is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = ctx.data_sources.add_pandas("claims_submission")
        definitions = {}
        for group in GROUPS:
            batch = source.add_dataframe_asset(f"{group}_rows").add_batch_definition_whole_dataframe("all_rows")
            # the whole suite in one call: added one at a time, the context's store copies the suite on every
            # addition (0.35 s for the 60 checks)
            suite = ctx.suites.add(gx.ExpectationSuite(
                name=f"claim_837p_readiness_{group}",
                expectations=[_expectation(check, i) for i, check in enumerate(CHECKS)
                              if GROUP_OF[check.column] == group]))
            definitions[group] = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=f"claims_submission_dq_{group}", data=batch, suite=suite))
        _DEFINITIONS = definitions
    return _DEFINITIONS


def _distinct_rows(frame, columns: list[str]):
    """(the distinct rows of `columns` with their number in ROW_KEY, each row's number): nulls are a value
    like any other, so a missing field is checked (and found) as well."""
    import numpy as np
    import pandas as pd

    if not columns:     # none of the group's columns is there: GX says so as it would over the whole frame
        return pd.DataFrame({ROW_KEY: [0]}), np.zeros(len(frame), dtype="int64")
    row_of = frame.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    _, first = np.unique(row_of, return_index=True)        # the first row of each number, numbers 0..n-1
    distinct = frame.iloc[first][columns].reset_index(drop=True)
    distinct.insert(0, ROW_KEY, np.arange(len(distinct)))
    return distinct, row_of


def validate_frames(claims, lines) -> tuple[dict[int, list[tuple[Check, str]]], list[dict]]:
    """Run the suite: the claim-level checks over `claims` (one row per claim, column claim_id), the line
    checks over `lines` (one row per line, column claim_id; a claim without lines has one empty row).

    Returns ({claim_id: [(check, expectation_type), ...]}, summary per expectation without values), both in
    the order of CHECKS.
    """
    import numpy as np

    _quiet_gx()
    definitions = _definitions()
    results = []
    for group, definition in definitions.items():
        rows = lines if group == "lines" else claims
        columns = [c for c in GROUPS[group] if c in rows.columns]    # a missing column fails its checks in GX
        distinct, row_of = _distinct_rows(rows, columns)
        claim_ids = rows["claim_id"].to_numpy()
        for r in definition.run(batch_parameters={"dataframe": distinct}, result_format={
                "result_format": "COMPLETE", "unexpected_index_column_names": [ROW_KEY],
                "return_unexpected_index_query": False}).results:
            failed = [int(row[ROW_KEY]) for row in (r.result or {}).get("unexpected_index_list") or []]
            ids = np.unique(claim_ids[np.isin(row_of, failed)]) if failed else []
            results.append((r, [int(i) for i in ids]))
    results.sort(key=lambda pair: int(pair[0].expectation_config.meta["index"]))
    failures: dict[int, list[tuple[Check, str]]] = {}
    summary = []
    for r, ids in results:
        cfg = r.expectation_config
        check = CHECKS[int(cfg.meta["index"])]
        exc = _raised_exception(r.exception_info)
        summary.append({"expectation": cfg.type, "column": check.column, "reason_code": f"DQ_{check.field}",
                        "success": bool(r.success), "unexpected_count": len(ids), "claim_ids": ids,
                        "raised_exception": bool(exc)})
        if exc:
            # an expectation that could not run is a pipeline fault, not a finding about claims
            raise RuntimeError(f"data-quality expectation {cfg.type} on column {check.column} could not run")
        for cid in ids:
            failures.setdefault(cid, []).append((check, cfg.type))
    return failures, summary


def _raised_exception(exception_info) -> bool:
    """Whether GX could not run an expectation. GX 1.x reports it per metric
    ({metric id: {"raised_exception": True, ...}}); a flat {"raised_exception": ...} is read too."""
    info = exception_info or {}
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def validate_frame(df) -> tuple[dict[int, list[tuple[Check, str]]], list[dict]]:
    """validate_frames over one frame of one row per claim line (column claim_id, the claim's fields repeated
    on each of its lines): the claim-level checks see the first row of each claim."""
    line_cols = ["claim_id", *sorted(LINE_COLUMNS & set(df.columns))]
    claim_cols = [c for c in df.columns if c not in LINE_COLUMNS]
    return validate_frames(df.drop_duplicates("claim_id")[claim_cols].reset_index(drop=True),
                           df[line_cols].reset_index(drop=True))


def load_frames(conn, through_claim_id: int | None = None):
    """(claims, lines) of every claim in status new (with ``through_claim_id``, only those up to that id):
    one row per claim, one per line (query dq_rows)."""
    import numpy as np
    import pandas as pd

    cur = conn.execute(query("submission", "dq_rows"), {"through_claim_id": through_claim_id})
    names = [d.name for d in cur.description]
    rows = cur.fetchall()
    flag = names.index("claim_row")
    claim_cols = [n for n in names if n not in LINE_COLUMNS and n != "claim_row"]
    line_cols = ["claim_id", *(n for n in names if n in LINE_COLUMNS)]

    def frame(part, columns):
        # only this part's columns (a claim row's line fields are empty, and so are a line row's claim fields)
        pick = operator.itemgetter(*(names.index(n) for n in columns))
        values = list(zip(*map(pick, part))) if part else [()] * len(columns)
        data = {}
        for name, column in zip(columns, values):
            if name == "claim_id":
                data[name] = pd.Series(column, dtype="int64")
            elif name in ("units", "charge"):
                data[name] = pd.Series([np.nan if v is None else v for v in column], dtype="float64")
            else:
                # object dtype keeps None as None (pandas 3 would make str columns with NaN otherwise)
                data[name] = pd.Series(column, dtype=object)
        return pd.DataFrame(data, columns=columns)

    return (frame([r for r in rows if r[flag]], claim_cols).sort_values("claim_id", ignore_index=True),
            frame([r for r in rows if not r[flag]], line_cols))


def _safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)[:200] or "run"


def check_new_claims(conn, *, actor: str, run_id: str, results_dir: Path | None = None,
                     through_claim_id: int | None = None) -> dict:
    """Validate every claim in status new (with ``through_claim_id``, only those up to that id: one wave of
    the backlog, submission.wave_end); hold failures with DQ_<FIELD> work items."""
    claims, lines = load_frames(conn, through_claim_id)
    failures, summary = validate_frames(claims, lines) if len(claims) else ({}, [])
    items: list[WorkItem] = []
    for cid, failed in failures.items():
        seen = set()
        for check, exp_type in failed:
            reason = f"DQ_{check.field}"
            if reason in seen:
                continue
            seen.add(reason)
            items.append(WorkItem(
                claim_id=cid, source="data_quality", reason_code=reason,
                explanation=(f"Data quality: the {check.label} {_RULE_WORDS[check.kind]} "
                             f"(expectation {exp_type} on field {check.column}). Correct it in the "
                             f"practice-management system, then release the claim."),
                details={"expectation": exp_type, "field": check.column}))
    held = hold_claims(conn, items, actor=actor, stage="data_quality")
    document = json.dumps({
        "run_id": run_id,
        "validated_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "suite": "claim_837p_readiness",
        "claims_checked": len(claims),
        "claims_failed": len(failures),
        "rows_checked": len(lines),         # a line row per line, one for a claim without lines
        "results": summary,
    }, indent=2)
    # the results live in the artefact store (every worker and the UI read them there); a copy
    # goes to a folder only when one is asked for (results_dir, or BILLING_DQ_RESULTS_DIR)
    name = f"{_safe_name(run_id)}.json"
    results_id = store_artefact(conn, kind="dq_results", name=name, content=document.encode(),
                                natural_key=f"dq/{run_id}")
    folder = results_dir or load_settings().dq_results_dir
    if folder is not None:
        write_private(private_dir(folder) / name, document)
    by_reason: dict[str, int] = {}
    for i in items:
        by_reason[i.reason_code] = by_reason.get(i.reason_code, 0) + 1
    return {"claims_checked": len(claims), "claims_failed": len(failures), **held,
            "by_reason": by_reason, "results_artefact": results_id}
