-- The one writer of billing.claim_events rows (one or many, in input order). An event names its
-- claim, type, from and to status, actor, source file, detail (the n-th of one JSON array) and
-- dedupe key; from/to_current mean "the status the claim is in now" (an event that changes no
-- status). The run columns are
-- the run given, else the run bound to the connection (include.billing.runs.bind_run).
-- A dedupe key already recorded makes the event a no-op; returns the events written.
INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, source_file_id, detail,
                                  dedupe_key, dag_id, task_id, run_id, try_number, map_index)
SELECT c.id, e.event_type,
       CASE WHEN e.from_current THEN c.status ELSE e.from_status END,
       CASE WHEN e.to_current THEN c.status ELSE e.to_status END,
       %(actor)s, %(source_file_id)s, d.detail, e.dedupe_key,
       coalesce(%(dag_id)s::text, billing.run_setting('dag_id')),
       coalesce(%(task_id)s::text, billing.run_setting('task_id')),
       coalesce(%(run_id)s::text, billing.run_setting('run_id')),
       coalesce(%(try_number)s::integer, billing.run_setting('try_number')::integer),
       coalesce(%(map_index)s::integer, billing.run_setting('map_index')::integer)
  FROM unnest(%(claim_ids)s::bigint[], %(event_types)s::text[], %(from_current)s::boolean[],
              %(from_statuses)s::text[], %(to_current)s::boolean[], %(to_statuses)s::text[],
              %(dedupe_keys)s::text[]) WITH ORDINALITY
       AS e(claim_id, event_type, from_current, from_status, to_current, to_status, dedupe_key, n)
  JOIN jsonb_array_elements(%(details)s::jsonb) WITH ORDINALITY AS d(detail, n) ON d.n = e.n
  JOIN billing.claims c ON c.id = e.claim_id
 ORDER BY e.n
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, claim_id, event_type, dedupe_key
