-- What a payment left after every open balance: a credit balance owed back to the guarantor.
INSERT INTO billing.credit_balances (payment_id, guarantor_key, amount, work_item_id)
VALUES (%(payment_id)s, %(guarantor_key)s, %(amount)s, %(work_item_id)s)
ON CONFLICT (payment_id) DO NOTHING
RETURNING id
