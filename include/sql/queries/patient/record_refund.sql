-- A credit balance refunded: the refund row and the credit closed.
WITH credit AS (
    UPDATE billing.credit_balances SET state = 'refunded'
     WHERE id = %(credit_id)s AND state = 'open'
    RETURNING id, amount
)
INSERT INTO billing.patient_refunds (credit_balance_id, amount, method, reference, refunded_on, actor)
SELECT id, amount, %(method)s, %(reference)s, %(refunded_on)s, %(actor)s FROM credit
RETURNING id, amount
