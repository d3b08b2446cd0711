-- What the DAGs did to claims in [day_start, day_end): claims per kind of status change and
-- per DAG run (the events' run_id, migration 0016), so the dashboard links each figure to its run.
SELECT CASE
         WHEN e.to_status = 'submitted' THEN 'submissions'
         WHEN e.to_status IN ('acknowledged', 'accepted', 'rejected', 'pending') THEN 'acknowledgments'
         WHEN e.to_status IN ('paid', 'partially_paid', 'reversed') THEN 'postings'
         WHEN e.to_status = 'denied' THEN 'denials'
         WHEN e.to_status IN ('held', 'ready', 'new') THEN 'claim checks'
         ELSE 'other'
       END AS kind,
       e.to_status,
       coalesce(e.dag_id, CASE WHEN e.actor LIKE 'dag:%%' THEN split_part(substr(e.actor, 5), '.', 1) END) AS dag_id,
       CASE WHEN e.actor LIKE 'user:%%' THEN substr(e.actor, 6) END AS user_name,
       e.run_id,
       count(DISTINCT e.claim_id) AS claims,
       max(e.occurred_at) AS last_at
FROM billing.claim_events e
WHERE e.occurred_at >= %(day_start)s AND e.occurred_at < %(day_end)s
  -- a status change: an event that changes none records the claim's status as both (ledger.record_event)
  AND e.to_status IS DISTINCT FROM e.from_status AND NOT e.ignored
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, max(e.occurred_at) DESC
LIMIT 200;
