SELECT id, file_name, content FROM billing.lockbox_files WHERE state = 'stored' ORDER BY id
