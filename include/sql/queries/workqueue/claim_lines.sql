SELECT l.id, l.line_number, l.line_control_number, l.procedure_code, l.modifiers, l.units, l.charge,
       l.dx_pointers, l.service_date, fs.description AS procedure_description
FROM billing.claim_lines l
LEFT JOIN pm.fee_schedule fs ON fs.procedure_code = l.procedure_code
WHERE l.claim_id = %(claim_id)s
ORDER BY l.line_number;
