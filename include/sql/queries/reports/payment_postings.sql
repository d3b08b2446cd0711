-- Payment postings in the period: 835 remittances posted (posted_at in the period), overall and by
-- payer (matched on the payer identifier, TRN03 / N1*PR): remittances, claims paid, Σ BPR02,
-- Σ claim-level paid, reversals; held remittances are counted apart and not in the totals.
WITH rem AS (
    SELECT r.id, r.state, r.payment_amount, py.id AS payer_id,
           coalesce(py.name, 'Payer ' || r.payer_identifier) AS payer_name,
           (SELECT count(*) FROM billing.claim_payments cp WHERE cp.remittance_id = r.id AND NOT cp.is_reversal) AS claims,
           (SELECT count(*) FROM billing.claim_payments cp WHERE cp.remittance_id = r.id AND cp.is_reversal) AS reversals,
           (SELECT coalesce(sum(cp.paid), 0) FROM billing.claim_payments cp WHERE cp.remittance_id = r.id) AS claims_paid
    FROM billing.remittances r
    LEFT JOIN pm.payers py ON py.payer_identifier = r.payer_identifier
    WHERE r.posted_at >= %(period_start_ts)s AND r.posted_at < %(period_end_ts)s
)
SELECT CASE WHEN GROUPING(payer_name) = 0 THEN 'payer' ELSE 'overall' END AS dimension,
       max(payer_id)::text AS key,
       coalesce(payer_name, 'All') AS label,
       count(*) FILTER (WHERE state = 'posted') AS remittances,
       count(*) FILTER (WHERE state = 'held') AS held_remittances,
       coalesce(sum(claims) FILTER (WHERE state = 'posted'), 0)::bigint AS claim_payments,
       coalesce(sum(reversals) FILTER (WHERE state = 'posted'), 0)::bigint AS reversals,
       coalesce(sum(payment_amount) FILTER (WHERE state = 'posted'), 0)::numeric(14,2) AS total_paid,
       coalesce(sum(claims_paid) FILTER (WHERE state = 'posted'), 0)::numeric(14,2) AS claims_paid
FROM rem
GROUP BY GROUPING SETS ((), (payer_name))
ORDER BY dimension, label;
