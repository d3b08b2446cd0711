-- Record 'created' in bulk (ledger.record_claims_created): the first event of each new claim that
-- claims.build_claims made (status new); the dedupe key makes a re-run a no-op.
INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, detail, dedupe_key)
SELECT c.id, 'created', NULL, 'new', %(actor)s,
       jsonb_build_object('lines', (SELECT count(*) FROM billing.claim_lines l WHERE l.claim_id = c.id)),
       'created:' || c.id
FROM billing.claims c
WHERE c.status = 'new'
  AND NOT EXISTS (SELECT 1 FROM billing.claim_events e WHERE e.dedupe_key = 'created:' || c.id)
ON CONFLICT (dedupe_key) DO NOTHING
