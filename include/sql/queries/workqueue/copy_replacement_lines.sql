INSERT INTO billing.claim_lines
    (claim_id, line_number, charge_id, line_control_number, procedure_code, modifiers, units, charge,
     dx_pointers, service_date, ndc)
SELECT %(new_claim_id)s, l.line_number, l.charge_id, %(claim_number)s || 'L' || l.line_number,
       l.procedure_code, l.modifiers, l.units, l.charge, l.dx_pointers, l.service_date, l.ndc
FROM billing.claim_lines l
WHERE l.claim_id = %(claim_id)s
ON CONFLICT DO NOTHING;
