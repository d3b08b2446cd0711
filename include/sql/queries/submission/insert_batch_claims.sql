-- The claims of a planned batch (re-running adds nothing).
INSERT INTO billing.batch_claims (batch_id, claim_id)
SELECT %(batch_id)s, unnest(%(claim_ids)s::bigint[])
ON CONFLICT DO NOTHING
