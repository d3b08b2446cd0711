INSERT INTO billing.statement_documents (statement_id, html, pdf, sha256)
VALUES (%(statement_id)s, %(html)s, %(pdf)s, %(sha256)s)
ON CONFLICT (statement_id) DO NOTHING
