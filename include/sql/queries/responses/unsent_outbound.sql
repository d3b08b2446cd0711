SELECT id, file_name, content FROM billing.edi_files
 WHERE direction = 'out' AND transaction_type = '276' AND state = 'stored'
 ORDER BY id
