-- depends: 0001_pm_schema
-- The billing ledger this product owns. Money is NUMERIC(12,2); natural keys sit under
-- unique constraints so that a re-run of any task cannot create a duplicate.

CREATE SCHEMA IF NOT EXISTS billing;

-- Every file in or out, stored before it is acted on (invariant 2).
CREATE TABLE billing.edi_files (
    id               bigserial PRIMARY KEY,
    direction        text        NOT NULL CHECK (direction IN ('in', 'out')),
    transaction_type text        NOT NULL,              -- 837P 270 276 999 277CA 277 271 835 unknown
    file_name        text        NOT NULL,
    sha256           char(64)    NOT NULL,
    size_bytes       bigint      NOT NULL,
    content          bytea       NOT NULL,
    origin           text        NOT NULL,              -- remote path, or the task that wrote it
    trading_partner  text        NOT NULL DEFAULT 'sandbox',
    state            text        NOT NULL DEFAULT 'stored'
                     CHECK (state IN ('stored', 'uploading', 'sent', 'applied', 'quarantined', 'held')),
    error            text,
    stored_at        timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    UNIQUE (direction, sha256),
    UNIQUE (direction, trading_partner, file_name)
);

-- Control numbers are unique per trading partner; one row per (partner, kind) holds the last
-- value handed out, advanced with UPDATE ... RETURNING so concurrent batches never share one.
CREATE TABLE billing.control_numbers (
    trading_partner text   NOT NULL,
    kind            text   NOT NULL CHECK (kind IN ('interchange', 'group', 'transaction', 'batch270', 'batch276')),
    last_value      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (trading_partner, kind)
);

CREATE TABLE billing.claims (
    id                          bigserial PRIMARY KEY,
    claim_number                varchar(20) NOT NULL UNIQUE,     -- CLM01 / CLP01
    visit_id                    integer     NOT NULL REFERENCES pm.visits(id),
    policy_id                   integer     REFERENCES pm.insurance_policies(id),
    payer_id                    integer     REFERENCES pm.payers(id),
    responsibility              char(1)     NOT NULL DEFAULT 'P' CHECK (responsibility IN ('P', 'S', 'T')),
    version                     smallint    NOT NULL DEFAULT 1,  -- 1 original, 2.. replacements
    frequency_code              char(1)     NOT NULL DEFAULT '1' CHECK (frequency_code IN ('1', '7', '8')),
    replaces_claim_id           bigint      REFERENCES billing.claims(id),
    payer_claim_control_number  varchar(50),                     -- from the 277CA / 835, sent back in REF*F8
    status                      text        NOT NULL DEFAULT 'new',
    total_charge                numeric(12,2) NOT NULL,
    diagnosis_codes             text[]      NOT NULL DEFAULT '{}',
    date_of_service             date        NOT NULL,
    -- secondary claims: the primary payer's adjudication (2320/2330)
    prior_payer_paid            numeric(12,2),
    prior_payer_adjustments     jsonb,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    submitted_at                timestamptz,
    UNIQUE (visit_id, responsibility, version)
);
CREATE INDEX claims_status_idx ON billing.claims (status);
CREATE INDEX claims_payer_idx ON billing.claims (payer_id);

CREATE TABLE billing.claim_lines (
    id                   bigserial PRIMARY KEY,
    claim_id             bigint        NOT NULL REFERENCES billing.claims(id),
    line_number          smallint      NOT NULL,
    charge_id            integer       REFERENCES pm.charges(id),
    line_control_number  varchar(50)   NOT NULL UNIQUE,           -- REF*6R
    procedure_code       varchar(5)    NOT NULL,
    modifiers            text[]        NOT NULL DEFAULT '{}',
    units                numeric(7,2)  NOT NULL,
    charge               numeric(12,2) NOT NULL,
    dx_pointers          smallint[]    NOT NULL DEFAULT '{}',
    service_date         date          NOT NULL,
    ndc                  varchar(11),
    UNIQUE (claim_id, line_number)
);

-- Append-only: every status change and every action on a claim (invariant 4).
CREATE TABLE billing.claim_events (
    id            bigserial PRIMARY KEY,
    claim_id      bigint      NOT NULL REFERENCES billing.claims(id),
    event_type    text        NOT NULL,
    from_status   text,
    to_status     text,
    actor         text        NOT NULL,            -- 'dag:<dag_id>.<task_id>' or 'user:<username>'
    source_file_id bigint     REFERENCES billing.edi_files(id),
    detail        jsonb       NOT NULL DEFAULT '{}',
    dedupe_key    text        UNIQUE,              -- makes replayed events no-ops
    occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_events_claim_idx ON billing.claim_events (claim_id, occurred_at);

CREATE FUNCTION billing.forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER claim_events_append_only BEFORE UPDATE OR DELETE ON billing.claim_events
    FOR EACH ROW EXECUTE FUNCTION billing.forbid_change();

CREATE TABLE billing.submission_batches (
    id                           bigserial PRIMARY KEY,
    batch_key                    text        NOT NULL UNIQUE,    -- deterministic: partner + payer + content hash
    trading_partner              text        NOT NULL,
    payer_id                     integer     REFERENCES pm.payers(id),
    transaction_type             text        NOT NULL DEFAULT '837P',
    interchange_control_number   bigint      NOT NULL,
    group_control_number         bigint      NOT NULL,
    transaction_control_number   bigint      NOT NULL,
    file_name                    text        NOT NULL,
    state                        text        NOT NULL DEFAULT 'planned'
                                 CHECK (state IN ('planned', 'uploading', 'uploaded', 'accepted', 'rejected', 'failed')),
    edi_file_id                  bigint      REFERENCES billing.edi_files(id),
    claim_count                  integer     NOT NULL DEFAULT 0,
    total_charge                 numeric(12,2) NOT NULL DEFAULT 0,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    uploaded_at                  timestamptz,
    UNIQUE (trading_partner, interchange_control_number),
    UNIQUE (trading_partner, file_name)
);

CREATE TABLE billing.batch_claims (
    batch_id   bigint NOT NULL REFERENCES billing.submission_batches(id),
    claim_id   bigint NOT NULL REFERENCES billing.claims(id),
    PRIMARY KEY (batch_id, claim_id)
);
CREATE INDEX batch_claims_claim_idx ON billing.batch_claims (claim_id);

CREATE TABLE billing.eligibility_checks (
    id                    bigserial PRIMARY KEY,
    policy_id             integer     NOT NULL REFERENCES pm.insurance_policies(id),
    service_date          date        NOT NULL,
    checked_at            timestamptz NOT NULL DEFAULT now(),
    transport             text        NOT NULL CHECK (transport IN ('batch', 'realtime')),
    status                text        NOT NULL CHECK (status IN ('active', 'inactive', 'unknown', 'error')),
    plan_begin            date,
    plan_end              date,
    copay                 numeric(12,2),
    coinsurance_percent   numeric(5,4),
    deductible            numeric(12,2),
    deductible_remaining  numeric(12,2),
    out_of_pocket_remaining numeric(12,2),
    reject_reason         text,                    -- AAA03 with its description
    request_file_id       bigint REFERENCES billing.edi_files(id),
    response_file_id      bigint REFERENCES billing.edi_files(id)
);
CREATE INDEX eligibility_checks_policy_idx ON billing.eligibility_checks (policy_id, checked_at DESC);

-- One row per 835 transaction set (a payment run of one payer).
CREATE TABLE billing.remittances (
    id                 bigserial PRIMARY KEY,
    edi_file_id        bigint      NOT NULL REFERENCES billing.edi_files(id),
    transaction_index  integer     NOT NULL,
    payer_identifier   text        NOT NULL,        -- TRN03
    trace_number       text        NOT NULL,        -- TRN02
    payment_amount     numeric(12,2) NOT NULL,      -- BPR02
    payment_method     text,
    payment_date       date,
    state              text        NOT NULL DEFAULT 'posted' CHECK (state IN ('posted', 'held')),
    held_reason        text,
    posted_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payer_identifier, trace_number),
    UNIQUE (edi_file_id, transaction_index)
);

-- One row per CLP: the payer's adjudication of one claim (payments, in the issue's words).
CREATE TABLE billing.claim_payments (
    id                          bigserial PRIMARY KEY,
    remittance_id               bigint        NOT NULL REFERENCES billing.remittances(id),
    clp_index                   integer       NOT NULL,
    claim_id                    bigint        NOT NULL REFERENCES billing.claims(id),
    status_code                 varchar(2)    NOT NULL,     -- CLP02
    charge                      numeric(12,2) NOT NULL,
    paid                        numeric(12,2) NOT NULL,
    patient_responsibility      numeric(12,2) NOT NULL DEFAULT 0,
    payer_claim_control_number  varchar(50),
    is_reversal                 boolean       NOT NULL DEFAULT false,
    reverses_payment_id         bigint        REFERENCES billing.claim_payments(id),
    UNIQUE (remittance_id, clp_index)
);
CREATE INDEX claim_payments_claim_idx ON billing.claim_payments (claim_id);

CREATE TABLE billing.line_payments (
    id                bigserial PRIMARY KEY,
    claim_payment_id  bigint        NOT NULL REFERENCES billing.claim_payments(id),
    svc_index         integer       NOT NULL,
    claim_line_id     bigint        REFERENCES billing.claim_lines(id),
    procedure_code    varchar(5),
    charge            numeric(12,2) NOT NULL,
    paid              numeric(12,2) NOT NULL,
    allowed           numeric(12,2),
    units             numeric(7,2),
    UNIQUE (claim_payment_id, svc_index)
);

CREATE TABLE billing.adjustments (
    id                bigserial PRIMARY KEY,
    claim_payment_id  bigint        NOT NULL REFERENCES billing.claim_payments(id),
    line_payment_id   bigint        REFERENCES billing.line_payments(id),
    position          integer       NOT NULL,         -- order within its CLP, for uniqueness
    group_code        varchar(2)    NOT NULL,         -- CO PR OA PI CR
    reason_code       varchar(5)    NOT NULL,         -- CARC
    amount            numeric(12,2) NOT NULL,
    quantity          numeric(7,2),
    remark_codes      text[]        NOT NULL DEFAULT '{}',   -- RARC (LQ / MOA)
    UNIQUE (claim_payment_id, position)
);

-- PLB: provider-level adjustments, not tied to one claim.
CREATE TABLE billing.provider_adjustments (
    id              bigserial PRIMARY KEY,
    remittance_id   bigint        NOT NULL REFERENCES billing.remittances(id),
    position        integer       NOT NULL,
    provider_identifier text,
    fiscal_period_date date,
    reason_code     varchar(2)    NOT NULL,      -- PLB03-1: L6 interest, FB forwarding balance, WO ...
    reference       text,
    amount          numeric(12,2) NOT NULL,
    UNIQUE (remittance_id, position)
);

-- What the patient owes and pays, per claim. Positive amounts increase the balance.
CREATE TABLE billing.patient_ledger (
    id            bigserial PRIMARY KEY,
    patient_id    integer       NOT NULL REFERENCES pm.patients(id),
    claim_id      bigint        REFERENCES billing.claims(id),
    entry_type    text          NOT NULL CHECK (entry_type IN
                  ('patient_responsibility', 'patient_payment', 'adjustment', 'write_off', 'reversal')),
    category      text,                         -- deductible, coinsurance, copay, non_covered ...
    amount        numeric(12,2) NOT NULL,
    source_key    text          NOT NULL UNIQUE, -- e.g. 'adj:<adjustment id>': posting twice is a no-op
    created_at    timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX patient_ledger_patient_idx ON billing.patient_ledger (patient_id);

-- Manual review: everything a person must look at.
CREATE TABLE billing.work_queue (
    id            bigserial PRIMARY KEY,
    claim_id      bigint      REFERENCES billing.claims(id),
    visit_id      integer     REFERENCES pm.visits(id),
    edi_file_id   bigint      REFERENCES billing.edi_files(id),
    source        text        NOT NULL,         -- data_quality eligibility scrubbing 999 277CA 277 remittance denial
    reason_code   text        NOT NULL,         -- e.g. DQ_MEMBER_ID, SCRUB_NPI, CARC_CO-16
    explanation   text        NOT NULL,         -- plain language, no PHI
    details       jsonb       NOT NULL DEFAULT '{}',
    state         text        NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'in_progress', 'resolved', 'written_off')),
    assignee      text,
    due_date      date,
    dedupe_key    text        NOT NULL UNIQUE,  -- the same finding twice is one item
    created_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz,
    resolved_by   text
);
CREATE INDEX work_queue_open_idx ON billing.work_queue (state, due_date);
