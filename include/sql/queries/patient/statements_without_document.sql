SELECT s.id FROM billing.statements s
 WHERE NOT EXISTS (SELECT 1 FROM billing.statement_documents d WHERE d.statement_id = s.id)
 ORDER BY s.id
 LIMIT %(limit)s
