-- Patient A/R aging at as_of (HFMA MAP Keys age A/R in the same buckets; a patient balance is aged
-- from the first statement that billed its visit or, before any statement, from the FINAL
-- ADJUDICATION: the latest 835 payment date (BPR16) among the claims of the balance's visit, posted
-- by as_of); a balance with no 835 behind it (an entry without a claim, or a claim not adjudicated)
-- is aged from the entry's own day.
-- Buckets by age in days: 0–30, 31–60, 61–90, 91–120, 120+; overall and by the claim's payer.
WITH entries AS (
    SELECT pl.claim_id, coalesce(pl.visit_id, c.visit_id) AS visit_id, c.payer_id, pl.amount,
           (pl.created_at AT TIME ZONE %(report_tz)s)::date AS entry_day
    FROM billing.patient_ledger pl
    LEFT JOIN billing.claims c ON c.id = pl.claim_id
    WHERE pl.created_at < %(as_of_ts)s
),
final_adjudication AS (
    SELECT c.visit_id, max(coalesce(r.payment_date, (r.posted_at AT TIME ZONE %(report_tz)s)::date)) AS adjudicated_on
    FROM billing.claims c
    JOIN billing.claim_payments cp ON cp.claim_id = c.id AND NOT cp.is_reversal
    JOIN billing.remittances r ON r.id = cp.remittance_id
    WHERE r.state = 'posted' AND r.posted_at < %(as_of_ts)s
      AND c.visit_id IN (SELECT visit_id FROM entries WHERE visit_id IS NOT NULL)
    GROUP BY c.visit_id
),
first_statement AS (
    SELECT sl.visit_id, min(s.statement_date) AS billed_on
    FROM billing.statement_lines sl
    JOIN billing.statements s ON s.id = sl.statement_id
    WHERE NOT sl.insurance_pending AND s.statement_date <= %(as_of)s
      AND sl.visit_id IN (SELECT visit_id FROM entries WHERE visit_id IS NOT NULL)
    GROUP BY sl.visit_id
),
balances AS (              -- one balance per claim (or per entry without a claim), aged from its start
    SELECT e.payer_id, e.claim_id,
           CASE WHEN e.claim_id IS NULL THEN 'No claim' ELSE coalesce(py.name, 'No payer') END AS payer_name,
           sum(e.amount) AS balance,
           %(as_of)s::date - coalesce(fs.billed_on, fa.adjudicated_on, min(e.entry_day)) AS age_days
    FROM entries e
    LEFT JOIN final_adjudication fa ON fa.visit_id = e.visit_id
    LEFT JOIN first_statement fs ON fs.visit_id = e.visit_id
    LEFT JOIN pm.payers py ON py.id = e.payer_id
    GROUP BY e.payer_id, e.claim_id, py.name, fa.adjudicated_on, fs.billed_on,
             CASE WHEN e.claim_id IS NULL THEN e.entry_day END
    HAVING sum(e.amount) <> 0
)
SELECT CASE WHEN GROUPING(payer_name) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       max(payer_id)::text AS key,
       coalesce(payer_name, 'All') AS label,
       count(*) AS balances,
       coalesce(sum(balance) FILTER (WHERE age_days <= 30), 0)::numeric(14,2) AS "0_30",
       coalesce(sum(balance) FILTER (WHERE age_days BETWEEN 31 AND 60), 0)::numeric(14,2) AS "31_60",
       coalesce(sum(balance) FILTER (WHERE age_days BETWEEN 61 AND 90), 0)::numeric(14,2) AS "61_90",
       coalesce(sum(balance) FILTER (WHERE age_days BETWEEN 91 AND 120), 0)::numeric(14,2) AS "91_120",
       coalesce(sum(balance) FILTER (WHERE age_days > 120), 0)::numeric(14,2) AS "120_plus",
       coalesce(sum(balance), 0)::numeric(14,2) AS total
FROM balances
GROUP BY GROUPING SETS ((), (payer_name))
ORDER BY dimension, label;
