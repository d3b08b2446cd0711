-- The claims about to move, locked, with the status each is in now.
SELECT id, status FROM billing.claims WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE
