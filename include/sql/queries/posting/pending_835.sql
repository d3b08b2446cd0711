-- Stored 835 files not yet posted, oldest first.
SELECT id, file_name, content
  FROM billing.edi_files
 WHERE direction = 'in' AND transaction_type = '835' AND state = 'stored'
 ORDER BY id
