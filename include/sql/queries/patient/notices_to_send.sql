-- Pending "statement ready" e-mails with the address and the salutation name.
SELECT n.statement_id, pg.email, pg.first_name, pg.last_name
  FROM billing.statement_notices n
  JOIN billing.statements s ON s.id = n.statement_id
  JOIN LATERAL (SELECT * FROM billing.patient_guarantors g
                 WHERE g.guarantor_key = s.guarantor_key AND nullif(trim(g.email), '') IS NOT NULL
                 LIMIT 1) pg ON true
 WHERE n.state = 'pending'
 ORDER BY n.statement_id
