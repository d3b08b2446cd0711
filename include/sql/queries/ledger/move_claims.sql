-- Move many claims from one status to another in one statement (ledger.move_claims): only the
-- claims still in %(from)s move, each with its event (dedupe key <prefix>:<claim_id>, so a
-- replay is a no-op), in the caller's transaction. Returns the ids that moved.
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(details)s::jsonb[]) AS t(claim_id, detail)
), candidates AS (
    SELECT c.id, i.detail FROM billing.claims c JOIN input i ON i.claim_id = c.id
    WHERE c.status = %(from)s
    FOR UPDATE OF c
), events AS (
    INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor,
                                      source_file_id, detail, dedupe_key)
    SELECT id, %(event)s, %(from)s, %(to)s, %(actor)s, %(file)s, detail,
           %(prefix)s || ':' || id
    FROM candidates
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING claim_id
)
UPDATE billing.claims c SET status = %(to)s, updated_at = billing.clock()
FROM events e WHERE e.claim_id = c.id
RETURNING c.id
