-- A claim event that changes no status (a correction, an assignment, an appeal packet).
INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, detail)
SELECT c.id, %(event_type)s, NULL, NULL, %(actor)s, %(detail)s::jsonb
FROM billing.claims c WHERE c.id = %(claim_id)s
RETURNING id;
