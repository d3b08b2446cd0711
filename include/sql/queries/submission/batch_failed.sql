-- A batch whose file failed validation: kept (held) with its findings, the batch failed (its claims are released).
WITH file AS (
    UPDATE billing.edi_files SET error = %(error)s WHERE id = %(file_id)s
)
UPDATE billing.submission_batches SET state = 'failed', edi_file_id = %(file_id)s
WHERE id = %(batch_id)s
