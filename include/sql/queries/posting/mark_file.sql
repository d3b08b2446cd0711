UPDATE billing.edi_files
   SET state = %(state)s, error = %(error)s, processed_at = now()
 WHERE id = %(file_id)s
