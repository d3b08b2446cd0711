SELECT guarantor_key FROM billing.credit_balances WHERE id = %(credit_id)s
