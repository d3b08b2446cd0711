WITH old AS (
    SELECT id, modifiers FROM billing.claim_lines
    WHERE claim_id = %(claim_id)s AND line_number = %(line_number)s FOR UPDATE
)
UPDATE billing.claim_lines l SET modifiers = %(modifiers)s
FROM old WHERE l.id = old.id
RETURNING old.modifiers AS before, l.modifiers AS after;
