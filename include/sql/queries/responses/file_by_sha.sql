SELECT id, file_name FROM billing.edi_files WHERE direction = 'in' AND sha256 = %(sha256)s
