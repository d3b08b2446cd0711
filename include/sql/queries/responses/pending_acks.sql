-- Stored acknowledgments and status responses, oldest first (the order they arrived).
SELECT id, file_name, transaction_type, content, trading_partner
  FROM billing.edi_files
 WHERE direction = 'in' AND state = 'stored' AND transaction_type IN ('999', '277CA', '277')
 ORDER BY id
