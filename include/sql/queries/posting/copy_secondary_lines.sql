-- The lines of the new secondary (tertiary) claims: the adjudicated claim's lines, with line
-- control numbers of the new claim number.
INSERT INTO billing.claim_lines
    (claim_id, line_number, charge_id, line_control_number, procedure_code, modifiers, units, charge,
     dx_pointers, service_date, ndc)
SELECT n.id, l.line_number, l.charge_id, n.claim_number || 'L' || l.line_number, l.procedure_code,
       l.modifiers, l.units, l.charge, l.dx_pointers, l.service_date, l.ndc
  FROM posting_new_secondary s
  JOIN billing.claims n ON n.claim_number = s.claim_number
  JOIN billing.claim_lines l ON l.claim_id = s.primary_claim_id
 WHERE n.id = ANY(%(new_ids)s)
 ORDER BY n.id, l.line_number
