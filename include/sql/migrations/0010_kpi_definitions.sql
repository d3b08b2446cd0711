-- depends: 0006_reports
-- KPI building blocks used by more than one report query, so that each rule is written once
-- (docs/metrics.md states each rule with its source). Read from the remittance data (835s),
-- not from billing.claims.status, so the KPIs are right however posting names a status.

-- Contractual write-downs: CO-45 (charge exceeds fee schedule / contracted amount) and CO-253
-- (sequestration). Only group CO: the payer's contract, not the patient's share.
CREATE OR REPLACE FUNCTION billing.kpi_is_contractual(group_code text, reason_code text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT group_code = 'CO' AND reason_code IN ('45', '253')
$$;

-- A reason that denies money: a CO / PI / OA adjustment that is neither a contractual write-down
-- nor OA/CO-23 ("impact of prior payer(s) adjudication", what a secondary reports of the primary).
CREATE OR REPLACE FUNCTION billing.kpi_is_denial_reason(group_code text, reason_code text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT group_code IN ('CO', 'PI', 'OA')
           AND NOT billing.kpi_is_contractual(group_code, reason_code)
           AND reason_code <> '23'
$$;

-- A payer's first adjudication of each claim (its "initial" 835 claim payment: the first
-- non-reversal CLP by the 835's payment date, BPR16, from posted remittances), with the denial
-- verdict. A claim is DENIED when CLP02 = 4, or when nothing was paid and nothing allowed
-- (paid = 0 and no PR adjustment: all of the charge adjusted by CO/PI/OA) with at least one
-- denial reason. All-to-deductible (paid 0, PR-1 = charge) is processed, patient owes: not denied.
--   remit_date: BPR16 (the remittance's payment_date), or the posting day when it is missing
CREATE OR REPLACE FUNCTION billing.kpi_initial_adjudications(as_of_ts timestamptz, tz text)
RETURNS TABLE (claim_id bigint, claim_payment_id bigint, remit_date date, charge numeric(12,2),
               paid numeric(12,2), denied boolean)
LANGUAGE sql STABLE AS $$
    WITH firsts AS (
        SELECT DISTINCT ON (cp.claim_id) cp.claim_id, cp.id, cp.status_code, cp.charge, cp.paid,
               coalesce(r.payment_date, (r.posted_at AT TIME ZONE tz)::date) AS remit_date
        FROM billing.claim_payments cp
        JOIN billing.remittances r ON r.id = cp.remittance_id
        WHERE NOT cp.is_reversal AND r.state = 'posted' AND r.posted_at < as_of_ts
        ORDER BY cp.claim_id, coalesce(r.payment_date, (r.posted_at AT TIME ZONE tz)::date), r.posted_at, cp.id
    )
    SELECT f.claim_id, f.id, f.remit_date, f.charge, f.paid,
           f.status_code = '4'
           OR (f.paid = 0
               AND NOT EXISTS (SELECT 1 FROM billing.adjustments a
                               WHERE a.claim_payment_id = f.id AND a.group_code = 'PR' AND a.amount <> 0)
               AND EXISTS (SELECT 1 FROM billing.adjustments a
                           WHERE a.claim_payment_id = f.id AND a.amount > 0
                             AND billing.kpi_is_denial_reason(a.group_code, a.reason_code)))
    FROM firsts f
$$;

-- The same verdict per service line of the first adjudications whose payment date is in
-- [period_start, period_end] (SVC): a line is denied when its claim's CLP02 = 4, or nothing was
-- paid and nothing allowed on the line (paid = 0, no PR adjustment on it) with a denial reason on
-- the line. A CLP without SVC lines counts as one line carrying the claim's verdict and charge.
CREATE OR REPLACE FUNCTION billing.kpi_initial_line_adjudications(as_of_ts timestamptz, tz text,
                                                                  period_start date, period_end date)
RETURNS TABLE (claim_id bigint, remit_date date, charge numeric(12,2), denied boolean)
LANGUAGE sql STABLE AS $$
    WITH ia AS (SELECT * FROM billing.kpi_initial_adjudications(as_of_ts, tz) a
                WHERE a.remit_date BETWEEN period_start AND period_end)
    SELECT ia.claim_id, ia.remit_date, lp.charge,
           cp.status_code = '4'
           OR (lp.paid = 0
               AND NOT EXISTS (SELECT 1 FROM billing.adjustments a
                               WHERE a.line_payment_id = lp.id AND a.group_code = 'PR' AND a.amount <> 0)
               AND EXISTS (SELECT 1 FROM billing.adjustments a
                           WHERE a.line_payment_id = lp.id AND a.amount > 0
                             AND billing.kpi_is_denial_reason(a.group_code, a.reason_code)))
    FROM ia
    JOIN billing.claim_payments cp ON cp.id = ia.claim_payment_id
    JOIN billing.line_payments lp ON lp.claim_payment_id = ia.claim_payment_id
    UNION ALL
    SELECT ia.claim_id, ia.remit_date, ia.charge, ia.denied
    FROM ia
    WHERE NOT EXISTS (SELECT 1 FROM billing.line_payments lp WHERE lp.claim_payment_id = ia.claim_payment_id)
$$;

-- Claims carrying a balance at T (payer balances only for the claims still with a payer, so the
-- work grows with open A/R, not with the whole ledger). Databases migrated before 0006 was trimmed
-- got a first version from 0006 that this replaces (same columns); see 0006.
--   value           = a primary's total charge; a secondary (or tertiary) claim's is what is
--                     outstanding after the payer before it - the prior payer's patient
--                     responsibility (Σ CLP05 of the prior claim's 835s posted before T) - not its
--                     full charge; without a prior 835 on record, charge − prior_payer_paid (2320 AMT*D).
--   payer_balance   = value − Σ paid (835 claim payments posted before T, reversals included
--                     as posted) for claims still with the payer: status submitted, acknowledged,
--                     rejected (being corrected), accepted, pending, reversed (awaiting
--                     re-adjudication), or denied with an open 'denial' work item (under review /
--                     appeal). Replaced, voided, written-off, closed and finally adjudicated claims: 0.
--   patient_balance = Σ patient_ledger.amount of the claim before T.
CREATE OR REPLACE FUNCTION billing.report_ar_claims(as_of_ts timestamptz)
RETURNS TABLE (claim_id bigint, status text, payer_balance numeric(12,2), patient_balance numeric(12,2))
LANGUAGE sql STABLE AS $$
    WITH st AS (SELECT * FROM billing.report_status_at(as_of_ts)),
    under_review AS (
        SELECT DISTINCT w.claim_id FROM billing.report_open_work_items(as_of_ts) w
        WHERE w.source = 'denial' AND w.claim_id IS NOT NULL
    ),
    open_claims AS (
        SELECT st.claim_id, st.status, c.total_charge, c.responsibility, c.visit_id, c.prior_payer_paid,
               (c.prior_payer_adjustments->>'primary_claim_id')::bigint AS prior_claim_id
        FROM st
        JOIN billing.claims c ON c.id = st.claim_id
        LEFT JOIN under_review ur ON ur.claim_id = st.claim_id
        WHERE st.status IN ('submitted', 'acknowledged', 'rejected', 'accepted', 'pending', 'reversed')
           OR (st.status = 'denied' AND ur.claim_id IS NOT NULL)
    ),
    valued AS (
        SELECT o.claim_id, o.status,
               CASE WHEN o.responsibility = 'P' THEN o.total_charge
                    ELSE coalesce(
                        (SELECT sum(cp.patient_responsibility)
                         FROM billing.claims p
                         JOIN billing.claim_payments cp ON cp.claim_id = p.id
                         JOIN billing.remittances r ON r.id = cp.remittance_id
                         WHERE r.posted_at < as_of_ts AND r.state = 'posted'
                           AND CASE WHEN o.prior_claim_id IS NOT NULL THEN p.id = o.prior_claim_id
                                    ELSE p.visit_id = o.visit_id
                                         AND p.responsibility = CASE o.responsibility WHEN 'S' THEN 'P' ELSE 'S' END
                               END),
                        o.total_charge - coalesce(o.prior_payer_paid, 0))
               END AS value
        FROM open_claims o
    ),
    payer AS (
        SELECT v.claim_id, v.status,
               (v.value - coalesce((SELECT sum(cp.paid)
                                    FROM billing.claim_payments cp
                                    JOIN billing.remittances r ON r.id = cp.remittance_id
                                    WHERE cp.claim_id = v.claim_id AND r.posted_at < as_of_ts), 0)
               )::numeric(12,2) AS payer_balance
        FROM valued v
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

CREATE INDEX IF NOT EXISTS line_payments_claim_payment_idx ON billing.line_payments (claim_payment_id);
CREATE INDEX IF NOT EXISTS adjustments_line_payment_idx ON billing.adjustments (line_payment_id)
    WHERE line_payment_id IS NOT NULL;
