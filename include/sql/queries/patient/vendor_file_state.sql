UPDATE billing.statement_vendor_files
   SET state = %(state)s, delivered_at = CASE WHEN %(state)s = 'delivered' THEN billing.clock() END
 WHERE id = %(id)s
