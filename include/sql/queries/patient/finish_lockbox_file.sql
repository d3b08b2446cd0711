UPDATE billing.lockbox_files
   SET state = %(state)s, rows_posted = %(rows_posted)s, errors = %(errors)s, processed_at = billing.clock()
 WHERE id = %(id)s
