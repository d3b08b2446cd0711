-- The first event of a claim this area creates (secondary or replacement).
INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, source_file_id, detail,
                                  dedupe_key)
VALUES (%(claim_id)s, 'created', NULL, 'new', %(actor)s, %(source_file_id)s, %(detail)s, %(dedupe_key)s)
ON CONFLICT (dedupe_key) DO NOTHING
