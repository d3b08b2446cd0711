-- Stored acknowledgments, status responses and unreadable files: a 999 before the 277CA it
-- precedes, then in arrival order.
SELECT id, file_name, transaction_type, content, trading_partner
  FROM billing.edi_files
 WHERE direction = 'in' AND state = 'stored' AND transaction_type IN ('999', '277CA', '277', 'unknown')
 ORDER BY CASE transaction_type WHEN '999' THEN 0 WHEN '277CA' THEN 1 ELSE 2 END, id
