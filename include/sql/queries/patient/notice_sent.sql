UPDATE billing.statement_notices SET state = 'sent', sent_at = now() WHERE statement_id = %(statement_id)s
