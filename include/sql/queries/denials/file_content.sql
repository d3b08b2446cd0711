-- A stored acknowledgment's bytes (an appeal packet attaches them as proof of timely filing).
SELECT content FROM billing.edi_files WHERE id = %(file_id)s
