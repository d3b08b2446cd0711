-- The member id lives in the PM system's policy row; the next 837 reads it from there.
UPDATE pm.insurance_policies SET member_id = %(value)s
WHERE id = (SELECT policy_id FROM billing.claims WHERE id = %(claim_id)s)
RETURNING id;
