-- A statement with its guarantor's mailing address, for the PDF and the vendor file (PHI).
SELECT s.id, s.guarantor_key, s.statement_date, s.sequence, s.dunning_level, s.previous_balance, s.new_charges,
       s.payments, s.amount_due, s.due_date,
       g.first_name, g.last_name, g.address1, g.city, g.state, g.zip
  FROM billing.statements s
  JOIN LATERAL (SELECT * FROM billing.patient_guarantors pg
                 WHERE pg.guarantor_key = s.guarantor_key ORDER BY pg.guarantor_id NULLS LAST, pg.patient_id
                 LIMIT 1) g ON true
 WHERE s.id = ANY(%(ids)s::bigint[])
 ORDER BY s.id
