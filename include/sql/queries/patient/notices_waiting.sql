SELECT count(*) AS n FROM billing.statement_notices WHERE state = 'pending'
