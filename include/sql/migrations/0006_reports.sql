-- depends: 0002_billing_schema
-- Reports: point-in-time views of the ledger as set-returning SQL functions, so the emailed
-- report and the dashboard read "status / open items / balances as of T" from one definition.
-- All take an exclusive upper bound `as_of_ts` (the first instant after the as-of day).

-- A claim's status at T: the to_status of its latest event before T ('new' when none).
-- '_ignored' events carry the then-current status as to_status, so they never change the answer.
-- Claims with no event at or after T are at their current status (billing.claims.status is
-- changed only together with its event, include/billing/status.py), so only claims that moved
-- since T need a look at their history: a report for yesterday touches few rows.
CREATE FUNCTION billing.report_status_at(as_of_ts timestamptz)
RETURNS TABLE (claim_id bigint, status text)
LANGUAGE sql STABLE AS $$
    WITH moved AS (
        SELECT DISTINCT e.claim_id FROM billing.claim_events e WHERE e.occurred_at >= as_of_ts
    )
    SELECT c.id,
           CASE WHEN m.claim_id IS NULL THEN c.status
                ELSE coalesce((SELECT e.to_status FROM billing.claim_events e
                               WHERE e.claim_id = c.id AND e.occurred_at < as_of_ts AND e.to_status IS NOT NULL
                               ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), 'new') END
    FROM billing.claims c
    LEFT JOIN moved m ON m.claim_id = c.id
    WHERE c.created_at < as_of_ts
$$;

-- Work items open at T: created before T and not resolved by T.
CREATE FUNCTION billing.report_open_work_items(as_of_ts timestamptz)
RETURNS SETOF billing.work_queue
LANGUAGE sql STABLE AS $$
    SELECT w.* FROM billing.work_queue w
    WHERE w.created_at < as_of_ts
      AND CASE WHEN w.resolved_at IS NOT NULL THEN w.resolved_at >= as_of_ts
               ELSE w.state IN ('open', 'in_progress') END
$$;

-- Claims carrying a balance at T, billing.report_ar_claims, is defined once, in 0010_kpi_definitions
-- (it values secondary claims with 0010's building blocks). This migration used to define a first
-- version that 0010 replaced with CREATE OR REPLACE; nothing between 0006 and 0010 uses it, so a
-- fresh database and one that applied the old text end with the same function.

CREATE INDEX IF NOT EXISTS claim_events_to_status_idx ON billing.claim_events (to_status, occurred_at);
CREATE INDEX IF NOT EXISTS remittances_posted_idx ON billing.remittances (posted_at);
CREATE INDEX IF NOT EXISTS work_queue_claim_idx ON billing.work_queue (claim_id);
CREATE INDEX IF NOT EXISTS work_queue_visit_idx ON billing.work_queue (visit_id) WHERE claim_id IS NULL;
CREATE INDEX IF NOT EXISTS claim_events_occurred_idx ON billing.claim_events (occurred_at);
CREATE INDEX IF NOT EXISTS patient_ledger_claim_idx ON billing.patient_ledger (claim_id);
CREATE INDEX IF NOT EXISTS claims_replaces_idx ON billing.claims (replaces_claim_id) WHERE replaces_claim_id IS NOT NULL;
