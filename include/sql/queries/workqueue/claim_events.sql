-- A claim's history, newest first, with the task try behind each event (migration 0016's run
-- columns). Events written before those columns existed name only the DAG ('dag:<dag_id>.<task_id>').
SELECT e.id, e.event_type, e.from_status, e.to_status, e.actor, e.detail, e.occurred_at, e.source_file_id,
       coalesce(e.dag_id, CASE WHEN e.actor LIKE 'dag:%%' THEN split_part(substr(e.actor, 5), '.', 1) END) AS dag_id,
       e.task_id, e.run_id, e.try_number, e.map_index
FROM billing.claim_events e
WHERE e.claim_id = %(claim_id)s
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT 50;
