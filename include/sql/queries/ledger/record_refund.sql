-- A credit balance refunded: the refund row and the credit closed (once: a credit already
-- refunded returns no row). Returns the refund, and the guarantor and work item of the credit.
WITH credit AS (
    UPDATE billing.credit_balances SET state = 'refunded'
     WHERE id = %(credit_id)s AND state = 'open'
    RETURNING id, amount, guarantor_key, work_item_id
)
INSERT INTO billing.patient_refunds (credit_balance_id, amount, method, reference, refunded_on, actor)
SELECT id, amount, %(method)s, %(reference)s, %(refunded_on)s, %(actor)s FROM credit
RETURNING id, amount, (SELECT guarantor_key FROM credit) AS guarantor_key,
          (SELECT work_item_id FROM credit) AS work_item_id
