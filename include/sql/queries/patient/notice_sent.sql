UPDATE billing.statement_notices SET state = 'sent', sent_at = billing.clock() WHERE statement_id = %(statement_id)s
