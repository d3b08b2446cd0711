-- Store a lockbox file before anything is applied; the same bytes twice are stored once.
INSERT INTO billing.lockbox_files (file_name, sha256, content, origin)
VALUES (%(file_name)s, %(sha256)s, %(content)s, %(origin)s)
ON CONFLICT (sha256) DO NOTHING
RETURNING id
