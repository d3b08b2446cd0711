SELECT id, transaction_type, file_name, direction, stored_at, content FROM billing.edi_files WHERE id = %(file_id)s;
