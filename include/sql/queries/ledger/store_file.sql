-- The one writer of a single billing.edi_files row: a file is stored before it is acted on,
-- addressed by its content. The same bytes twice (same direction), or the same partner and file
-- name twice, is one row: the row already there is returned with is_new = false.
WITH ins AS (
    INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content,
                                   origin, trading_partner, state)
    VALUES (%(direction)s, %(transaction_type)s, %(file_name)s, %(sha256)s, %(size_bytes)s, %(content)s,
            %(origin)s, %(partner)s, %(state)s)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT id, true AS is_new FROM ins
UNION ALL
(SELECT id, false AS is_new FROM billing.edi_files
  WHERE direction = %(direction)s
    AND (sha256 = %(sha256)s OR (trading_partner = %(partner)s AND file_name = %(file_name)s))
  ORDER BY sha256 = %(sha256)s DESC, id     -- the content address first
  LIMIT 1)
LIMIT 1
