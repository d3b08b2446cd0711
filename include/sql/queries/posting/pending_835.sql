-- Stored 835 files not yet posted, oldest first (contents are read one file at a time: file_content).
SELECT id, file_name
  FROM billing.edi_files
 WHERE direction = 'in' AND transaction_type = '835' AND state = 'stored'
 ORDER BY id
