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

-- Claims carrying a balance at T (payer balances only for the claims still with a payer,
-- so the work grows with open A/R, not with the whole ledger).
--   payer_balance   = total_charge − Σ paid (835 claim payments posted before T, reversals included
--                     as posted) for claims still with the payer: status submitted, acknowledged,
--                     rejected (being corrected), accepted, pending, reversed (awaiting
--                     re-adjudication), or denied with an open 'denial' work item (under review /
--                     appeal). Replaced, voided, written-off, closed and finally adjudicated claims: 0.
--   patient_balance = Σ patient_ledger.amount of the claim before T.
CREATE FUNCTION billing.report_ar_claims(as_of_ts timestamptz)
RETURNS TABLE (claim_id bigint, status text, payer_balance numeric(12,2), patient_balance numeric(12,2))
LANGUAGE sql STABLE AS $$
    WITH st AS (SELECT * FROM billing.report_status_at(as_of_ts)),
    under_review AS (
        SELECT DISTINCT w.claim_id FROM billing.report_open_work_items(as_of_ts) w
        WHERE w.source = 'denial' AND w.claim_id IS NOT NULL
    ),
    payer AS (
        SELECT st.claim_id, st.status,
               (c.total_charge - coalesce((SELECT sum(cp.paid)
                                           FROM billing.claim_payments cp
                                           JOIN billing.remittances r ON r.id = cp.remittance_id
                                           WHERE cp.claim_id = st.claim_id AND r.posted_at < as_of_ts), 0)
               )::numeric(12,2) AS payer_balance
        FROM st
        JOIN billing.claims c ON c.id = st.claim_id
        LEFT JOIN under_review ur ON ur.claim_id = st.claim_id
        WHERE st.status IN ('submitted', 'acknowledged', 'rejected', 'accepted', 'pending', 'reversed')
           OR (st.status = 'denied' AND ur.claim_id IS NOT NULL)
    ),
    patient AS (
        SELECT pl.claim_id, sum(pl.amount)::numeric(12,2) AS patient_balance
        FROM billing.patient_ledger pl
        WHERE pl.claim_id IS NOT NULL AND pl.created_at < as_of_ts
        GROUP BY pl.claim_id
        HAVING sum(pl.amount) <> 0
    )
    SELECT coalesce(p.claim_id, pt.claim_id), coalesce(p.status, st.status),
           coalesce(p.payer_balance, 0)::numeric(12,2), coalesce(pt.patient_balance, 0)::numeric(12,2)
    FROM payer p
    FULL JOIN patient pt ON pt.claim_id = p.claim_id
    LEFT JOIN st ON p.claim_id IS NULL AND st.claim_id = pt.claim_id
    WHERE coalesce(p.payer_balance, 0) <> 0 OR coalesce(pt.patient_balance, 0) <> 0
$$;

CREATE INDEX IF NOT EXISTS claim_events_to_status_idx ON billing.claim_events (to_status, occurred_at);
CREATE INDEX IF NOT EXISTS remittances_posted_idx ON billing.remittances (posted_at);
CREATE INDEX IF NOT EXISTS work_queue_claim_idx ON billing.work_queue (claim_id);
CREATE INDEX IF NOT EXISTS work_queue_visit_idx ON billing.work_queue (visit_id) WHERE claim_id IS NULL;
CREATE INDEX IF NOT EXISTS claim_events_occurred_idx ON billing.claim_events (occurred_at);
CREATE INDEX IF NOT EXISTS patient_ledger_claim_idx ON billing.patient_ledger (claim_id);
CREATE INDEX IF NOT EXISTS claims_replaces_idx ON billing.claims (replaces_claim_id) WHERE replaces_claim_id IS NOT NULL;
