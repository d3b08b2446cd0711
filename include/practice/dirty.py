"""Kinds of defects the synthetic practice plants, and the reason code that must catch each.

A dirty visit carries exactly one defect and a row in pm.synthetic_visit_labels naming it.
"""

from __future__ import annotations

MISSING_MEMBER_ID = "missing_member_id"
INVALID_NPI = "invalid_npi"
NON_BILLABLE_ICD10 = "non_billable_icd10"
BAD_DX_POINTER = "bad_dx_pointer"
FUTURE_DOS = "future_dos"
TERMINATED_COVERAGE = "terminated_coverage"

DIRTY_KINDS: tuple[str, ...] = (
    MISSING_MEMBER_ID,
    INVALID_NPI,
    NON_BILLABLE_ICD10,
    BAD_DX_POINTER,
    FUTURE_DOS,
    TERMINATED_COVERAGE,
)

# dirty kind -> billing.work_queue reason code that the pipeline must raise for it
EXPECTED_REASON: dict[str, str] = {
    MISSING_MEMBER_ID: "DQ_MEMBER_ID",
    INVALID_NPI: "SCRUB_NPI",
    NON_BILLABLE_ICD10: "SCRUB_ICD10_NOT_BILLABLE",
    BAD_DX_POINTER: "SCRUB_DX_POINTER",
    FUTURE_DOS: "SCRUB_DOS_FUTURE",
    TERMINATED_COVERAGE: "ELIG_INACTIVE",
}
