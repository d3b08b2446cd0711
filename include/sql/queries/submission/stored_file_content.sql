-- The bytes of a stored file (a batch resumed in state uploading sends what was stored).
SELECT content
FROM billing.edi_files
WHERE id = %(file_id)s
