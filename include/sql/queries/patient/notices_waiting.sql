SELECT count(*) FROM billing.statement_notices WHERE state = 'pending'
