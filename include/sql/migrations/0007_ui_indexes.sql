-- depends: 0002_billing_schema
-- The billing UI's dashboard reads "what happened today": events, files and batches by time.
CREATE INDEX IF NOT EXISTS claim_events_occurred_idx ON billing.claim_events (occurred_at);
CREATE INDEX IF NOT EXISTS edi_files_stored_idx ON billing.edi_files (stored_at);
CREATE INDEX IF NOT EXISTS submission_batches_created_idx ON billing.submission_batches (created_at);
