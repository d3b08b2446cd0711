UPDATE billing.statement_holds SET released_by = %(actor)s, released_at = billing.clock()
 WHERE guarantor_key = %(key)s AND released_at IS NULL
RETURNING id, reason
