-- The claims of one batch, in id order.
SELECT claim_id
FROM billing.batch_claims
WHERE batch_id = %(batch_id)s
ORDER BY claim_id
