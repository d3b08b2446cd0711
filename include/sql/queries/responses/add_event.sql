-- A claim event that is not a status change (an inquiry sent, a status report read).
INSERT INTO billing.claim_events
    (claim_id, event_type, from_status, to_status, actor, source_file_id, detail, dedupe_key)
SELECT id, %(event_type)s, status, status, %(actor)s, %(source_file_id)s, %(detail)s, %(dedupe_key)s
  FROM billing.claims WHERE id = %(claim_id)s
ON CONFLICT (dedupe_key) DO NOTHING
