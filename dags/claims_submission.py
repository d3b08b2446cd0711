"""
### Claims submission: completed visits → checks → 837P files delivered to the clearinghouse

Every 15 minutes (`BILLING_SUBMISSION_SCHEDULE`) this DAG takes the visits completed since the
last run and moves them through the front half of the revenue cycle:

1. **pick_up_visits** — completed visits (completed before this run started) without a claim
   become claim headers for the primary payer; self-pay visits and visits without primary
   coverage are recorded in `billing.skipped_visits`.
2. **build_claims** — claim lines from the charges, the diagnosis snapshot, a `created` event.
3. **data_quality** — Great Expectations suite over the claim rows; failures are held with
   `DQ_<FIELD>` work items. Results: `BILLING_DQ_RESULTS_DIR` (default `.run/data-quality/`).
4. **eligibility** — 270/271 per policy, real time over HTTP (`eligibility_api`) or batch over
   SFTP; cached for `BILLING_ELIGIBILITY_CACHE_DAYS` days; `ELIG_*` work items.
5. **scrub** — NPI, ICD-10-CM, CPT, modifiers, pointers, totals, dates, duplicates, payer id;
   `SCRUB_*` work items; clean claims become `ready`.
6. **plan_batches** → **send_batch** (mapped, one task per 837P file) — exactly-once delivery
   over SFTP (`clearinghouse_sftp`, host key checked): intent stored, `inbound/NAME.part`
   renamed to `inbound/NAME`, outcome committed.
7. **emit_claims_submitted** — the `billing://claims/submitted` event (counts as extra), only
   when claims went out (skipped otherwise: no event, no responses run for nothing).

Besides its cron, the DAG runs when denial management routed denials or replaced claims
(`billing://denials/routed`) and when a person releases a corrected claim in the Billing UI
(`billing://corrections/released`).

Manual runs take params: `date_from`, `date_to`, `visit_ids`, `eligibility_transport`
(realtime | batch) and `max_claims_per_file`. Tasks return ids and counts only (no PHI).
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Param, dag, get_current_context, task

from include.assets import CLAIMS_SUBMITTED, CORRECTIONS_RELEASED, DENIALS_ROUTED
from include.dag_support import (
    DEFAULT_ARGS,
    ELIGIBILITY_API_CONN_ID,
    actor,
    as_of_param,
    billing_connection,
    clearinghouse_files,
    emit_task,
    run_clock,
    schedule,
)


def _date(value):
    return dt.date.fromisoformat(value) if value else None


@dag(
    dag_id="claims_submission",
    schedule=schedule("BILLING_SUBMISSION_SCHEDULE", "*/15 * * * *", assets=(DENIALS_ROUTED | CORRECTIONS_RELEASED)),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["billing", "claims", "837P", "submission"],
    doc_md=__doc__,
    params={
        "as_of": as_of_param(),
        "date_from": Param(None, type=["null", "string"], format="date",
                           description="only visits with a date of service on or after this day"),
        "date_to": Param(None, type=["null", "string"], format="date",
                         description="only visits with a date of service on or before this day"),
        "visit_ids": Param(None, type=["null", "array"], items={"type": "integer"},
                           description="only these pm.visits ids"),
        "eligibility_transport": Param(os.environ.get("BILLING_ELIGIBILITY_TRANSPORT", "realtime"),
                                       enum=["realtime", "batch"],
                                       description="270/271 in real time over HTTP or as a batch over SFTP"),
        "max_claims_per_file": Param(int(os.environ.get("BILLING_MAX_CLAIMS_PER_FILE", "5000")), type="integer",
                                     minimum=1, maximum=5000, description="claims per 837P file"),
    },
)
def claims_submission():
    @task(multiple_outputs=False)
    def pick_up_visits(params=None) -> dict:
        from include.billing.claims import pick_up_visits as pick_up

        context = get_current_context()
        with billing_connection() as conn:
            return pick_up(conn, high_water=run_clock(context), actor=actor(context),
                           date_from=_date(params.get("date_from")), date_to=_date(params.get("date_to")),
                           visit_ids=params.get("visit_ids") or None)

    @task(multiple_outputs=False)
    def build_claims() -> dict:
        from include.billing.claims import build_claims as build

        with billing_connection() as conn:
            return build(conn, actor=actor(get_current_context()))

    @task(multiple_outputs=False)
    def data_quality() -> dict:
        from include.billing.data_quality import check_new_claims

        context = get_current_context()
        with billing_connection() as conn:
            return check_new_claims(conn, actor=actor(context), run_id=context["run_id"])

    @task(multiple_outputs=False)
    def eligibility(params=None) -> dict:
        from include.billing import eligibility as elig
        from include.billing.settings import load

        context = get_current_context()
        settings = load()
        kwargs = dict(actor=actor(context), today=run_clock(context).date(),
                      cache_days=settings.eligibility_cache_days, sender_id=settings.submitter_id,
                      usage_indicator=settings.usage_indicator)
        if params.get("eligibility_transport") == "batch":
            with clearinghouse_files() as remote, billing_connection() as conn:
                transport = elig.BatchSftpTransport(remote, settings.sftp_inbound, settings.sftp_outbound,
                                                    wait_seconds=settings.eligibility_wait_seconds)
                return elig.check_new_claims(conn, transport=transport, **kwargs)
        from airflow.sdk import BaseHook

        from include.billing.transport import eligibility_url

        api = BaseHook.get_connection(ELIGIBILITY_API_CONN_ID)
        url = eligibility_url(api.schema, api.host, api.port, (api.extra_dejson or {}).get("path", "/x12/270"),
                              conn_id=ELIGIBILITY_API_CONN_ID)
        transport = elig.RealtimeTransport(url, api.login, api.password, **elig.realtime_limits(api.extra_dejson))
        with billing_connection() as conn:
            return elig.check_new_claims(conn, transport=transport, **kwargs)

    @task(multiple_outputs=False)
    def scrub() -> dict:
        from include.billing.scrub import scrub_pending_claims

        context = get_current_context()
        with billing_connection() as conn:
            return scrub_pending_claims(conn, actor=actor(context), today=run_clock(context).date())

    @task(multiple_outputs=False)
    def plan_batches(params=None) -> list[int]:
        from include.billing.submission import plan_batches as plan

        with billing_connection() as conn:
            return plan(conn, max_claims_per_file=int(params.get("max_claims_per_file") or 5000))

    @task(max_active_tis_per_dag=4, multiple_outputs=False)
    def send_batch(batch_id: int) -> dict:
        from include.billing.submission import send_batch as send

        context = get_current_context()
        with clearinghouse_files() as remote, billing_connection() as conn:
            return send(conn, batch_id, remote=remote, actor=actor(context))

    picked = pick_up_visits()
    built = build_claims()
    checked = data_quality()
    eligible = eligibility()
    scrubbed = scrub()
    batches = plan_batches()
    picked >> built >> checked >> eligible >> scrubbed >> batches
    sent = send_batch.expand(batch_id=batches)
    emit_task(CLAIMS_SUBMITTED, keys=("claims_submitted",), task_id="emit_claims_submitted")(sent)


dag_claims_submission = claims_submission()
