-- Stored acknowledgments, status responses and unreadable files, oldest first (arrival order).
SELECT id, file_name, transaction_type, content, trading_partner
  FROM billing.edi_files
 WHERE direction = 'in' AND state = 'stored' AND transaction_type IN ('999', '277CA', '277', 'unknown')
 ORDER BY id
