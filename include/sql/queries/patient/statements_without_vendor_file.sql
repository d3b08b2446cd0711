SELECT id FROM billing.statements
 WHERE vendor_file_id IS NULL AND statement_date = %(statement_date)s
 ORDER BY id
