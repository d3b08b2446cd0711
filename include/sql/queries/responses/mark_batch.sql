UPDATE billing.submission_batches SET state = %(state)s
 WHERE id = ANY(%(batch_ids)s) AND state IN ('uploaded', 'planned', 'uploading', 'accepted', 'rejected')
