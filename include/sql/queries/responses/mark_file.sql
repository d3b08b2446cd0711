UPDATE billing.edi_files
   SET state = %(state)s, error = %(error)s, processed_at = billing.clock()
 WHERE id = %(file_id)s
