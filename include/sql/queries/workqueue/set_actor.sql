-- Who is changing the ledger, for billing.change_log and the recorded_by / recorded_run
-- columns: the signed-in person (`user:<name>`) or the DAG task (`dag:<dag>.<task>`) and its
-- run id; for the transaction only, or for the whole session when is_local is false (one
-- task's connection).
SELECT set_config('billing.actor', %(actor)s, %(is_local)s),
       set_config('billing.run', coalesce(%(run)s, ''), %(is_local)s);
