-- The claim snapshot's diagnosis list (HI); line pointers refer to positions in it.
UPDATE billing.claims SET diagnosis_codes = %(codes)s, updated_at = billing.clock()
WHERE id = %(claim_id)s
RETURNING id;
