SELECT count(*) AS n FROM billing.statement_vendor_files WHERE statement_date = %(statement_date)s
