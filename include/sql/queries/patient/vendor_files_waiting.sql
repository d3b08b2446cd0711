SELECT count(*) FROM billing.statement_vendor_files WHERE state IN ('stored', 'uploading')
