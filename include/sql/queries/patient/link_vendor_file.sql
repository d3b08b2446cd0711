UPDATE billing.statements SET vendor_file_id = %(file_id)s
 WHERE id = ANY(%(ids)s::bigint[]) AND vendor_file_id IS NULL
