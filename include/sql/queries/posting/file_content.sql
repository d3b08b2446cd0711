-- The bytes of one stored file.
SELECT content FROM billing.edi_files WHERE id = %(file_id)s
