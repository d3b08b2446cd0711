-- What a write-off of the claim would take off the books: its charge less what payers have paid
-- (reversals included, as negative payments).
SELECT c.total_charge - coalesce((SELECT sum(cp.paid) FROM billing.claim_payments cp WHERE cp.claim_id = c.id), 0)
       AS payer_balance
FROM billing.claims c
WHERE c.id = %(claim_id)s;
