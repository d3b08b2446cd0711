SELECT id, claim_id, line_number, line_control_number, procedure_code, service_date, units, modifiers
  FROM billing.claim_lines
 WHERE claim_id = ANY(%(claim_ids)s)
 ORDER BY claim_id, line_number
