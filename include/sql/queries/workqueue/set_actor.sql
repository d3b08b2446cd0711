-- Who is changing the ledger, for billing.change_log (the triggers read it): the signed-in
-- person (`user:<name>`) or the DAG task (`dag:<dag>.<task>`); for the transaction only, or
-- for the whole session when is_local is false (one task's connection).
SELECT set_config('billing.actor', %(actor)s, %(is_local)s);
