INSERT INTO billing.statement_vendor_files (statement_date, file_name, content, sha256, statements)
VALUES (%(statement_date)s, %(file_name)s, %(content)s, %(sha256)s, %(statements)s)
RETURNING id
