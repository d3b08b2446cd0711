-- The lines of the given statements, with the patient each visit was for (first name only).
SELECT sl.statement_id, sl.line_number, v.visit_number, sl.date_of_service, sl.provider, sl.services,
       sl.charges, sl.insurance_paid, sl.adjustments, sl.patient_responsibility, sl.patient_paid, sl.balance,
       sl.insurance_pending, p.first_name
  FROM billing.statement_lines sl
  JOIN pm.visits v ON v.id = sl.visit_id
  JOIN pm.patients p ON p.id = v.patient_id
 WHERE sl.statement_id = ANY(%(ids)s::bigint[])
 ORDER BY sl.statement_id, sl.line_number
