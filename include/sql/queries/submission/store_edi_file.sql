-- Store a file before it is acted on; the same bytes twice (same direction) are one row.
WITH ins AS (
    INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content,
                                   origin, trading_partner, state)
    VALUES (%(direction)s, %(transaction_type)s, %(file_name)s, %(sha256)s, %(size)s, %(content)s,
            %(origin)s, %(partner)s, %(state)s)
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT id FROM ins
UNION ALL
SELECT id FROM billing.edi_files
WHERE direction = %(direction)s AND (sha256 = %(sha256)s OR (trading_partner = %(partner)s AND file_name = %(file_name)s))
LIMIT 1
