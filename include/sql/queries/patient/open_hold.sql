SELECT id, reason FROM billing.statement_holds WHERE guarantor_key = %(key)s AND released_at IS NULL
