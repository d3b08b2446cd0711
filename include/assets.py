"""The revenue cycle's Assets: the one place their URIs are written.

Every DAG file imports its outlets and schedules from here (tests/dags/test_dag_integrity.py
fails on an `Asset("...")` restated in dags/). An outlet event means *something changed*: a
task's outlet is a small `emit_*` task after it (include.dag_support.emit_task) that records
the counts as the event's extra, or is skipped — no event — when the counts are all zero.

| Asset | emitted by | when | consumed by |
|---|---|---|---|
| billing://claims/submitted | claims_submission.emit_claims_submitted | claims went out in an 837P | clearinghouse_responses |
| billing://remittances/received | clearinghouse_responses.emit_remittances_received | new 835s were stored | remittance_posting |
| billing://remittances/posted | remittance_posting.emit_remittances_posted | an 835 payment run posted | denial_management |
| billing://denials/routed | denial_management.emit_denials_routed | denials routed, claims corrected or replaced | claims_submission |
| billing://corrections/released | the Billing UI's *release* action (api-server) | a person released a corrected claim | claims_submission |
"""

from __future__ import annotations

from airflow.sdk import Asset

CLAIMS_SUBMITTED = Asset("billing://claims/submitted")
# Not "responses applied": a 999 or 277CA gives posting nothing to do, so posting would run for nothing.
REMITTANCES_RECEIVED = Asset("billing://remittances/received")
REMITTANCES_POSTED = Asset("billing://remittances/posted")
DENIALS_ROUTED = Asset("billing://denials/routed")
CORRECTIONS_RELEASED = Asset("billing://corrections/released")

ALL = (CLAIMS_SUBMITTED, REMITTANCES_RECEIVED, REMITTANCES_POSTED, DENIALS_ROUTED, CORRECTIONS_RELEASED)

# Outlets that no DAG schedules on, each with the reason. tests/dags/test_dag_integrity.py
# fails on an outlet that has neither a consumer nor an entry here.
NO_CONSUMER: dict[str, str] = {}

# Assets recorded outside any task (the API server), so no DAG lists them as an outlet.
EMITTED_OUTSIDE_TASKS: dict[str, str] = {
    CORRECTIONS_RELEASED.uri: "the Billing UI records it when a person releases a corrected claim",
}


def uris_of(condition) -> set[str]:
    """The URIs in a schedule's asset condition (an Asset, AssetAny/AssetAll, nested)."""
    if condition is None:
        return set()
    if getattr(condition, "uri", None):
        return {condition.uri}
    return set().union(*(uris_of(c) for c in getattr(condition, "objects", []) or []))
