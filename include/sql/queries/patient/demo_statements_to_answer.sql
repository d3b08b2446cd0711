-- The demo: statements of the last 30 days that no simulated payment answers yet, with who pays.
SELECT s.id, s.guarantor_key, s.amount_due, s.statement_date, pg.guarantor_id, pg.patient_id
  FROM billing.statements s
  JOIN LATERAL (SELECT g.guarantor_id, g.patient_id FROM billing.patient_guarantors g
                 WHERE g.guarantor_key = s.guarantor_key ORDER BY g.patient_id LIMIT 1) pg ON true
 WHERE s.statement_date <= %(today)s AND s.statement_date > %(today)s - 30
   AND NOT EXISTS (SELECT 1 FROM pm.patient_payments p WHERE p.reference LIKE 'ST' || s.id || '-%%')
 ORDER BY s.id
