-- When the claims just moved to submitted left (the clearinghouse has the file).
UPDATE billing.claims SET submitted_at = billing.clock()
WHERE id = ANY(%(claim_ids)s)
