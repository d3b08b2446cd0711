-- Prior authorization (REF*G1) is a visit attribute in the PM system.
UPDATE pm.visits SET prior_authorization = %(value)s
WHERE id = (SELECT visit_id FROM billing.claims WHERE id = %(claim_id)s)
RETURNING id;
