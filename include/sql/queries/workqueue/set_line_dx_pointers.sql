WITH old AS (
    SELECT id, dx_pointers FROM billing.claim_lines
    WHERE claim_id = %(claim_id)s AND line_number = %(line_number)s FOR UPDATE
)
UPDATE billing.claim_lines l SET dx_pointers = %(pointers)s
FROM old WHERE l.id = old.id
RETURNING old.dx_pointers AS before, l.dx_pointers AS after;
