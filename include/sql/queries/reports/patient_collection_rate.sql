-- Patient collection rate for a period: collected ÷ billed to patients.
-- collected: patient payments applied to visits, dated in the period (credit balances that are
--   refunded are not collections);
-- billed: the patient responsibility of each visit on the first statement that billed it, when
--   that statement is dated in the period.
WITH collected AS (
    SELECT coalesce(sum(pa.amount), 0) AS amount
      FROM billing.payment_applications pa
      JOIN billing.patient_payments pp ON pp.id = pa.payment_id
     WHERE pp.payment_date BETWEEN %(start)s AND %(end)s
), first_lines AS (
    SELECT DISTINCT ON (sl.visit_id) sl.visit_id, s.statement_date, sl.patient_responsibility
      FROM billing.statement_lines sl
      JOIN billing.statements s ON s.id = sl.statement_id
     WHERE NOT sl.insurance_pending
     ORDER BY sl.visit_id, s.statement_date, s.id
), billed AS (
    SELECT coalesce(sum(patient_responsibility), 0) AS amount
      FROM first_lines
     WHERE statement_date BETWEEN %(start)s AND %(end)s
)
SELECT collected.amount::numeric(12,2), billed.amount::numeric(12,2),
       (SELECT count(*) FROM billing.statements WHERE statement_date BETWEEN %(start)s AND %(end)s) AS statements_sent
  FROM collected, billed
