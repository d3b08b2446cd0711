-- 270 requests that left (their answers are being recorded).
UPDATE billing.edi_files SET state = 'sent', processed_at = billing.clock()
WHERE id = ANY(%(file_ids)s)
