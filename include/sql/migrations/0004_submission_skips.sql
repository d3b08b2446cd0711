-- depends: 0002_billing_schema
-- Completed visits the claims pipeline looked at and decided not to bill (self-pay, or no
-- primary policy covering the date of service). Recording the decision keeps the pick-up
-- query from re-examining them every 15 minutes and tells a person why no claim exists.
-- Deleting a row (after adding coverage in the PM system) makes the next run pick the visit up.
CREATE TABLE billing.skipped_visits (
    visit_id    integer     PRIMARY KEY REFERENCES pm.visits(id),
    reason      text        NOT NULL CHECK (reason IN ('self_pay', 'no_primary_policy')),
    actor       text        NOT NULL,
    skipped_at  timestamptz NOT NULL DEFAULT now()
);

-- the send step looks up the batches of a claim and the open work items of a claim
CREATE INDEX work_queue_claim_idx ON billing.work_queue (claim_id) WHERE state IN ('open', 'in_progress');

-- the duplicate-line scrub looks up lines by date of service and code
CREATE INDEX claim_lines_dup_idx ON billing.claim_lines (service_date, procedure_code);
