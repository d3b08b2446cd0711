-- Every claim of the given visits (or of all visits when visit_ids is NULL) with its
-- adjudication summed over the posted 835s up to as_of: reversals (CLP02=22) carry negative
-- amounts, so sums are net. `standing` counts adjudications not taken back by a reversal.
-- provider_liable: CO/PI/OA/CR adjustments except CARC 23 (the impact of a prior payer's
-- adjudication, which a later payer reports and which is no write-down of ours).
-- pr_by_reason: the PR adjustments by CARC, for the patient ledger's categories.
-- recouped: PLB recoupments (WO, 72, J1) that name this claim.
-- open_denied: denied amounts whose denial work item is still open.
WITH posted AS (
    SELECT cp.id, cp.claim_id, cp.is_reversal, cp.reverses_payment_id, cp.paid, cp.patient_responsibility,
           r.payment_date
      FROM billing.claim_payments cp
      JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
      JOIN billing.claims c ON c.id = cp.claim_id
     WHERE (%(visit_ids)s::int[] IS NULL OR c.visit_id = ANY(%(visit_ids)s::int[]))
       AND r.posted_at < %(as_of)s
), standing_payment AS (
    -- adjudications no reversal took back
    SELECT p.* FROM posted p
     WHERE NOT p.is_reversal AND NOT EXISTS (SELECT 1 FROM posted x WHERE x.reverses_payment_id = p.id)
), superseded AS (
    -- a standing adjudication of a line that a later standing adjudication of the same claim answers
    -- again (a payer that pays after an appeal without reversing its denial first): the later one counts.
    -- A window over (line, claim), not a self-join: linear in the line payments.
    SELECT DISTINCT s.claim_payment_id AS id
      FROM (SELECT lp.claim_payment_id,
                   max(lp.claim_payment_id) OVER (PARTITION BY lp.claim_line_id, sp.claim_id) AS latest
              FROM billing.line_payments lp
              JOIN standing_payment sp ON sp.id = lp.claim_payment_id
             WHERE lp.claim_line_id IS NOT NULL) s
     WHERE s.claim_payment_id < s.latest
), flagged AS (
    -- every posted payment with whether its decision still counts (a join: an IN (subquery) per row
    -- inside an aggregate's FILTER is evaluated row by row, quadratic on a 10,000-claim 835)
    SELECT p.*, s.id IS NULL AS counted
      FROM posted p
      LEFT JOIN superseded s ON s.id = p.id
), adjudication AS (
    -- money is what the payer really paid (every CLP04); what it decided is what still counts
    SELECT p.claim_id,
           sum(p.paid)                                                               AS paid,
           sum(p.patient_responsibility) FILTER (WHERE p.counted)                    AS patient_responsibility,
           count(*) FILTER (WHERE NOT p.is_reversal AND p.counted)
             - count(*) FILTER (WHERE p.is_reversal)                                 AS standing,
           max(p.payment_date)                                                       AS last_payment_date
      FROM flagged p
     GROUP BY p.claim_id
), open_denial AS (
    -- denied amounts whose denial work item is still open (a correction or an appeal under way):
    -- not settled, so pending rather than written down
    SELECT p.claim_id, sum((w.details ->> 'denied_amount')::numeric) AS amount
      FROM standing_payment p
      JOIN billing.work_queue w ON w.dedupe_key = 'denial:' || p.id AND w.state IN ('open', 'in_progress')
     WHERE NOT EXISTS (SELECT 1 FROM superseded s WHERE s.id = p.id)
     GROUP BY p.claim_id
), adjustment AS (
    SELECT a.claim_id,
           sum(a.amount) FILTER (WHERE a.group_code <> 'PR' AND a.reason_code <> '23') AS provider_liable,
           jsonb_object_agg(a.reason_code, a.amount) FILTER (WHERE a.group_code = 'PR')  AS pr_rows
      FROM (SELECT p.claim_id, a.group_code, a.reason_code, sum(a.amount) AS amount
              FROM billing.adjustments a
              JOIN flagged p ON p.id = a.claim_payment_id AND p.counted
             GROUP BY p.claim_id, a.group_code, a.reason_code) a
     GROUP BY a.claim_id
), recoupment AS (
    SELECT pa.claim_id, sum(pa.amount) AS recouped
      FROM billing.provider_adjustments pa
      JOIN billing.remittances r ON r.id = pa.remittance_id AND r.state = 'posted'
     WHERE pa.applied_as = 'claim_recoupment' AND r.posted_at < %(as_of)s
     GROUP BY pa.claim_id
)
SELECT c.id AS claim_id, c.claim_number, c.visit_id, v.visit_number, v.patient_id, c.responsibility,
       c.version, c.frequency_code, c.status, c.total_charge, py.payer_identifier,
       coalesce(ad.paid, 0)                   AS paid,
       coalesce(ad.patient_responsibility, 0) AS patient_responsibility,
       coalesce(ad.standing, 0)               AS standing,
       coalesce(aj.provider_liable, 0)        AS provider_liable,
       coalesce(aj.pr_rows, '{}'::jsonb)      AS pr_by_reason,
       coalesce(rc.recouped, 0)               AS recouped,
       ad.last_payment_date,
       coalesce(od.amount, 0)                 AS open_denied
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
  LEFT JOIN pm.payers py ON py.id = c.payer_id
  LEFT JOIN adjudication ad ON ad.claim_id = c.id
  LEFT JOIN adjustment aj ON aj.claim_id = c.id
  LEFT JOIN recoupment rc ON rc.claim_id = c.id
  LEFT JOIN open_denial od ON od.claim_id = c.id
 WHERE (%(visit_ids)s::int[] IS NULL OR c.visit_id = ANY(%(visit_ids)s::int[]))
   AND c.created_at < %(as_of)s
 ORDER BY c.visit_id, c.responsibility, c.version
