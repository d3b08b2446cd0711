-- depends: 0002_billing_schema
-- Indexes for the response, posting and denial work: pending inbound files by type, the
-- 999 lookup of a batch by its group control number, and per-claim reads of the ledger.

CREATE INDEX IF NOT EXISTS edi_files_pending_idx
    ON billing.edi_files (direction, transaction_type, state);
CREATE INDEX IF NOT EXISTS submission_batches_group_idx
    ON billing.submission_batches (trading_partner, group_control_number);
CREATE INDEX IF NOT EXISTS claims_replaces_idx ON billing.claims (replaces_claim_id);
CREATE INDEX IF NOT EXISTS work_queue_claim_idx ON billing.work_queue (claim_id);
CREATE INDEX IF NOT EXISTS patient_ledger_claim_idx ON billing.patient_ledger (claim_id);
CREATE INDEX IF NOT EXISTS claim_events_type_idx ON billing.claim_events (event_type, claim_id);
CREATE INDEX IF NOT EXISTS claim_payments_reverses_idx ON billing.claim_payments (reverses_payment_id);
