-- Record 'created' in bulk for the secondary (tertiary) claims posting staged in posting_new_secondary
-- (ledger.record_secondaries_created): each new claim's first two events, created (→ new) and
-- secondary_ready (new → ready), as set_status writes them.
INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, source_file_id, detail,
                                  dedupe_key)
SELECT n.id, e.event_type, e.from_status, e.to_status, %(actor)s, %(source_file_id)s, e.detail, e.dedupe_key
  FROM posting_new_secondary s
  JOIN billing.claims n ON n.claim_number = s.claim_number
 CROSS JOIN LATERAL (VALUES
       (1, 'created', NULL, 'new',
        jsonb_build_object('kind', CASE s.responsibility WHEN 'S' THEN 'secondary' ELSE 'tertiary' END,
                           'prior_claim_id', s.primary_claim_id),
        'created:' || n.id),
       (2, 'secondary_ready', 'new', 'ready',
        jsonb_build_object('primary_claim_id', s.primary_claim_id),
        'secondary_ready:' || n.id)) AS e(n, event_type, from_status, to_status, detail, dedupe_key)
 WHERE n.id = ANY(%(new_ids)s)
 ORDER BY n.id, e.n
ON CONFLICT (dedupe_key) DO NOTHING
