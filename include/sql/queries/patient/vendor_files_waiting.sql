SELECT count(*) AS n FROM billing.statement_vendor_files WHERE state IN ('stored', 'uploading')
