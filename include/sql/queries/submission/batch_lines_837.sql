SELECT l.claim_id, l.line_number, l.line_control_number, l.procedure_code, l.modifiers, l.units, l.charge,
       l.dx_pointers, l.service_date, l.ndc
FROM billing.batch_claims bc
JOIN billing.claim_lines l ON l.claim_id = bc.claim_id
WHERE bc.batch_id = %(batch_id)s
ORDER BY l.claim_id, l.line_number
