-- Close work items (resolved or written off), set-based: the items named by id, by dedupe key or
-- by claim (every open item of the claim), whichever lists are given. An item already closed is
-- left as it is. The closing person or task is the actor; the run is the one bound to the
-- connection (billing.change_log records the change with it).
UPDATE billing.work_queue
   SET state = %(resolution)s, resolved_at = billing.clock(), resolved_by = %(actor)s
 WHERE state IN ('open', 'in_progress')
   AND (id = ANY(%(ids)s::bigint[]) OR dedupe_key = ANY(%(dedupe_keys)s::text[])
        OR claim_id = ANY(%(claim_ids)s::bigint[]))
RETURNING id
