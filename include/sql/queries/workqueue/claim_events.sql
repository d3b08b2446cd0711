-- A claim's history, newest first, with the DAG behind each event ('dag:<dag_id>.<task_id>').
SELECT e.id, e.event_type, e.from_status, e.to_status, e.actor, e.detail, e.occurred_at, e.source_file_id,
       CASE WHEN e.actor LIKE 'dag:%%' THEN split_part(substr(e.actor, 5), '.', 1) END AS dag_id,
       coalesce(e.detail ->> 'run_id', e.detail ->> 'dag_run_id') AS run_id
FROM billing.claim_events e
WHERE e.claim_id = %(claim_id)s
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT 50;
