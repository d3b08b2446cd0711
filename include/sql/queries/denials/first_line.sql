SELECT line_number, procedure_code, modifiers FROM billing.claim_lines
 WHERE claim_id = %(claim_id)s ORDER BY line_number LIMIT 1
