-- Record the intent before the upload: the 276 is stored first, sent after.
INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content, origin,
                               trading_partner, state)
VALUES ('out', '276', %(file_name)s, %(sha256)s, %(size_bytes)s, %(content)s, %(origin)s, %(trading_partner)s,
        'stored')
ON CONFLICT DO NOTHING
RETURNING id
