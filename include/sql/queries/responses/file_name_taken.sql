SELECT 1 FROM billing.edi_files
 WHERE direction = 'in' AND trading_partner = %(trading_partner)s AND file_name = %(file_name)s
