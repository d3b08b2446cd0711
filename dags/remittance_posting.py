"""
### Remittance posting: stored 835s → payments, adjustments, patient responsibility

Runs when new 835s were stored (`billing://remittances/received`) and hourly
(`BILLING_POSTING_SCHEDULE`). **post_remittances** posts every stored 835, one database
transaction per payment run (835 transaction set):

- claims matched by CLP01, lines by REF*6R (or procedure code + service date);
- claim payments, line payments, CAS adjustments with RARCs, PLB provider adjustments;
- PR-1/PR-2/PR-3 to the patient ledger (deductible, coinsurance, copay), once (source keys);
- claim statuses `paid`, `partially_paid`, `denied`; a reversal (CLP02=22) undoes the earlier
  posting exactly, the corrected claim payment posts again;
- a secondary claim (`…S1`, `ready`) when the patient has secondary coverage on the date of service.

A payment run that does not balance or names unknown claims is **held** for review (nothing of
it posted, a `remittance` work item); an unreadable file is quarantined with the reason. The
same 835 twice posts nothing. **emit_remittances_posted** records `billing://remittances/posted`
only when a payment run was posted or held (skipped otherwise). Counts only in XCom.

Files post one at a time here: `post_stored_remittances` can post several at once on more
connections (docs/accounts.md, "Posting files concurrently"), but an hourly run holds a few
files, and extra ledger connections for worker threads inside a task are not tried yet.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, get_current_context, task

from include.assets import REMITTANCES_POSTED, REMITTANCES_RECEIVED
from include.dag_support import DEFAULT_ARGS, actor, as_of_param, billing_connection, emit_task, schedule


@dag(
    dag_id="remittance_posting",
    schedule=schedule("BILLING_POSTING_SCHEDULE", "0 * * * *", assets=[REMITTANCES_RECEIVED]),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "835", "posting", "ledger"],
    doc_md=__doc__,
    params={"as_of": as_of_param("the postings' time stamp")},
)
def remittance_posting():
    @task
    def post_remittances() -> dict:
        from include.billing.posting import post_stored_remittances

        with billing_connection() as conn:
            return post_stored_remittances(conn, actor=actor(get_current_context()))

    posted = post_remittances()
    emit_task(REMITTANCES_POSTED, keys=("remittances_posted", "remittances_held", "claims_posted", "quarantined"),
              task_id="emit_remittances_posted")(posted)


dag_remittance_posting = remittance_posting()
