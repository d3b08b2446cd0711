SELECT id, payment_id, amount, state, work_item_id FROM billing.credit_balances
 WHERE guarantor_key = %(key)s ORDER BY id
