-- depends: 0018_simulated_clock
-- A refused status move, said by a column instead of by an event name (issue 20).
--
-- When a file would move a claim backwards (a 999 after the 277CA, a 277 after the 835), the
-- ledger records its event without moving the claim, under the name `<event>_ignored`
-- (include/billing/ledger/moves.py). Queries asked that suffix themselves; now they read:
--   ignored          true for such an event: it changed nothing and never counts as activity;
--   base_event_type  what the file said, ignored or not ('ack_999' for 'ack_999_ignored').
-- Both are computed from event_type here, the one place the naming rule is read, so every row,
-- past and future, has them without a writer setting them or an append-only row being updated.
-- No grant: billing_app reads them with the table (migration 0011).

ALTER TABLE billing.claim_events
    ADD COLUMN ignored boolean NOT NULL
        GENERATED ALWAYS AS (right(event_type, 8) = '_ignored') STORED,
    ADD COLUMN base_event_type text NOT NULL
        GENERATED ALWAYS AS (CASE WHEN right(event_type, 8) = '_ignored' THEN left(event_type, -8)
                                  ELSE event_type END) STORED;

CREATE INDEX claim_events_base_type_idx ON billing.claim_events (base_event_type, claim_id);
