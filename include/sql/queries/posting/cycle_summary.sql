-- The revenue-cycle figures the demo prints. Accepted/rejected/denied count claims that ever reached
-- the status (event history: a later status does not hide it); paid = now paid or partially paid;
-- money from the posted ledger.
SELECT
  (SELECT count(DISTINCT claim_id) FROM billing.claim_events WHERE to_status = 'accepted'
      AND NOT ignored)                                                                      AS claims_accepted,
  (SELECT count(DISTINCT claim_id) FROM billing.claim_events WHERE to_status = 'rejected'
      AND NOT ignored)                                                                      AS claims_rejected,
  (SELECT count(*) FROM billing.claims WHERE status IN ('paid', 'partially_paid'))           AS claims_paid,
  (SELECT count(DISTINCT claim_id) FROM billing.claim_events WHERE to_status = 'denied'
      AND NOT ignored)                                                                      AS claims_denied,
  (SELECT count(*) FROM billing.claims WHERE frequency_code = '7')                        AS claims_corrected,
  (SELECT coalesce(sum(cp.paid), 0) FROM billing.claim_payments cp
      JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted')       AS payments_posted_total,
  (SELECT coalesce(sum(amount), 0) FROM billing.patient_ledger
    WHERE entry_type IN ('patient_responsibility', 'reversal'))                           AS patient_responsibility_total
