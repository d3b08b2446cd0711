SELECT id, file_name, content, state FROM billing.statement_vendor_files
 WHERE state IN ('stored', 'uploading') ORDER BY id
