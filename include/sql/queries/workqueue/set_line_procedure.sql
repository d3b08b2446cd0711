-- Correct one line's procedure code; returns the code before and after.
UPDATE billing.claim_lines l SET procedure_code = %(code)s
  FROM (SELECT id, procedure_code AS before FROM billing.claim_lines
         WHERE claim_id = %(claim_id)s AND line_number = %(line_number)s FOR UPDATE) b
 WHERE l.id = b.id
RETURNING ARRAY[b.before], ARRAY[l.procedure_code];
