INSERT INTO billing.statement_holds (guarantor_key, reason, placed_by)
VALUES (%(key)s, %(reason)s, %(actor)s)
ON CONFLICT (guarantor_key) WHERE released_at IS NULL DO NOTHING
RETURNING id
