-- A "statement ready" e-mail to send, only where the guarantor has an e-mail address.
INSERT INTO billing.statement_notices (statement_id)
SELECT s.id FROM billing.statements s
  JOIN billing.patient_guarantors pg ON pg.guarantor_key = s.guarantor_key
 WHERE s.id = %(statement_id)s AND nullif(trim(pg.email), '') IS NOT NULL
 LIMIT 1
ON CONFLICT DO NOTHING
