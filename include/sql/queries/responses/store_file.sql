-- Store one inbound file before anything acts on it; the same bytes twice is one row.
INSERT INTO billing.edi_files
    (direction, transaction_type, file_name, sha256, size_bytes, content, origin, trading_partner)
VALUES ('in', %(transaction_type)s, %(file_name)s, %(sha256)s, %(size_bytes)s, %(content)s,
        %(origin)s, %(trading_partner)s)
ON CONFLICT DO NOTHING
RETURNING id
