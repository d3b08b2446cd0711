-- depends: 0008_accounts_cob_plb
-- Patient accounts: guarantors, patient payments (front desk and lockbox), how payments were
-- applied, credit balances and refunds, statements (lines, PDFs, vendor files, e-mail notices),
-- statement holds and the guarantor audit trail. docs/patient_accounts.md has the rules.

-- PM side -----------------------------------------------------------------------------------

-- The responsible party for one or more patients. A patient without a guarantor is their own
-- guarantor (billing.patient_guarantors below gives every patient one).
CREATE TABLE pm.guarantors (
    id               serial PRIMARY KEY,
    guarantor_number varchar(30) NOT NULL UNIQUE,     -- the PM's account number (printed on statements)
    last_name        text        NOT NULL,
    first_name       text        NOT NULL,
    address1         text        NOT NULL,
    city             text        NOT NULL,
    state            char(2)     NOT NULL,
    zip              varchar(9)  NOT NULL,
    email            text
);

ALTER TABLE pm.patients
    ADD COLUMN guarantor_id integer REFERENCES pm.guarantors(id),
    ADD COLUMN guarantor_relationship text NOT NULL DEFAULT 'self'
        CHECK (guarantor_relationship IN ('self', 'parent', 'other'));
CREATE INDEX patients_guarantor_idx ON pm.patients (guarantor_id) WHERE guarantor_id IS NOT NULL;

-- Payments the PM recorded: time-of-service copays at the front desk, phone payments ...
-- Who paid: the guarantor, or the patient (whose guarantor is then the payer), or only a visit.
CREATE TABLE pm.patient_payments (
    id            serial PRIMARY KEY,
    reference     varchar(50)   NOT NULL UNIQUE,      -- receipt number: the natural key
    guarantor_id  integer       REFERENCES pm.guarantors(id),
    patient_id    integer       REFERENCES pm.patients(id),
    visit_id      integer       REFERENCES pm.visits(id),
    payment_date  date          NOT NULL,
    amount        numeric(12,2) NOT NULL CHECK (amount > 0),
    method        text          NOT NULL CHECK (method IN ('cash', 'check', 'card', 'ach', 'other')),
    recorded_at   timestamptz   NOT NULL DEFAULT now(),
    CHECK (guarantor_id IS NOT NULL OR patient_id IS NOT NULL OR visit_id IS NOT NULL)
);

-- Every patient's guarantor: the PM guarantor, or the patient themself ('P' || patient id).
-- guarantor_key is what statements, payments and holds are keyed by.
CREATE VIEW billing.patient_guarantors AS
SELECT p.id AS patient_id,
       coalesce(g.guarantor_number, 'P' || lpad(p.id::text, 8, '0')) AS guarantor_key,
       g.id AS guarantor_id,
       CASE WHEN g.id IS NULL THEN 'self' ELSE p.guarantor_relationship END AS relationship,
       coalesce(g.last_name, p.last_name)   AS last_name,
       coalesce(g.first_name, p.first_name) AS first_name,
       coalesce(g.address1, p.address1)     AS address1,
       coalesce(g.city, p.city)             AS city,
       coalesce(g.state, p.state)           AS state,
       coalesce(g.zip, p.zip)               AS zip,
       g.email
  FROM pm.patients p
  LEFT JOIN pm.guarantors g ON g.id = p.guarantor_id;

-- Billing side ------------------------------------------------------------------------------

-- Patient ledger rows of self-pay visits have no claim: they name the visit.
ALTER TABLE billing.patient_ledger ADD COLUMN visit_id integer REFERENCES pm.visits(id);
CREATE INDEX patient_ledger_visit_idx ON billing.patient_ledger (visit_id) WHERE visit_id IS NOT NULL;
ALTER TABLE billing.patient_ledger DROP CONSTRAINT patient_ledger_entry_type_check;
ALTER TABLE billing.patient_ledger ADD CONSTRAINT patient_ledger_entry_type_check CHECK (entry_type IN
    ('patient_responsibility', 'patient_payment', 'adjustment', 'write_off', 'reversal', 'refund'));

-- Lockbox and online-payment files, stored before anything is applied.
CREATE TABLE billing.lockbox_files (
    id            bigserial PRIMARY KEY,
    file_name     text        NOT NULL,
    sha256        char(64)    NOT NULL UNIQUE,        -- the same file twice is stored once
    content       bytea       NOT NULL,
    origin        text        NOT NULL,               -- folder | sftp | test ...
    state         text        NOT NULL DEFAULT 'stored'
                  CHECK (state IN ('stored', 'applied', 'applied_with_errors', 'rejected')),
    rows_posted   integer,
    errors        jsonb       NOT NULL DEFAULT '[]',  -- [{"line": n, "reason": "..."}], no PHI
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz
);

-- Posted patient payments: exactly once per source and reference.
CREATE TABLE billing.patient_payments (
    id               bigserial PRIMARY KEY,
    source           text          NOT NULL CHECK (source IN ('pm', 'lockbox')),
    reference        text          NOT NULL,
    guarantor_key    text          NOT NULL,
    visit_id         integer       REFERENCES pm.visits(id),    -- the visit the payer named, if any
    payment_date     date          NOT NULL,
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    method           text          NOT NULL,
    lockbox_file_id  bigint        REFERENCES billing.lockbox_files(id),
    lockbox_line     integer,
    actor            text          NOT NULL,
    posted_at        timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (source, reference)
);
CREATE INDEX patient_payments_guarantor_idx ON billing.patient_payments (guarantor_key, payment_date);

-- How each payment was applied: to which visit (and claim), how much; the ledger entry it made.
CREATE TABLE billing.payment_applications (
    id               bigserial PRIMARY KEY,
    payment_id       bigint        NOT NULL REFERENCES billing.patient_payments(id),
    visit_id         integer       NOT NULL REFERENCES pm.visits(id),
    claim_id         bigint        REFERENCES billing.claims(id),
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    ledger_entry_id  bigint        NOT NULL REFERENCES billing.patient_ledger(id),
    UNIQUE (payment_id, visit_id)
);
CREATE INDEX payment_applications_visit_idx ON billing.payment_applications (visit_id);

-- What a payment left over after every open balance: owed back to the guarantor.
CREATE TABLE billing.credit_balances (
    id               bigserial PRIMARY KEY,
    payment_id       bigint        NOT NULL UNIQUE REFERENCES billing.patient_payments(id),
    guarantor_key    text          NOT NULL,
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    state            text          NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'refunded')),
    work_item_id     bigint        REFERENCES billing.work_queue(id),
    created_at       timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE billing.patient_refunds (
    id                 bigserial PRIMARY KEY,
    credit_balance_id  bigint        NOT NULL UNIQUE REFERENCES billing.credit_balances(id),
    amount             numeric(12,2) NOT NULL CHECK (amount > 0),
    method             text          NOT NULL,
    reference          text,
    refunded_on        date          NOT NULL,
    actor              text          NOT NULL,
    created_at         timestamptz   NOT NULL DEFAULT now()
);

-- Statement holds (a dispute, a payment plan being set up ...): no statement while one is open.
CREATE TABLE billing.statement_holds (
    id             bigserial PRIMARY KEY,
    guarantor_key  text        NOT NULL,
    reason         text        NOT NULL,
    placed_by      text        NOT NULL,
    placed_at      timestamptz NOT NULL DEFAULT now(),
    released_by    text,
    released_at    timestamptz
);
CREATE UNIQUE INDEX statement_holds_open_idx ON billing.statement_holds (guarantor_key) WHERE released_at IS NULL;

-- Every change to a guarantor's account that a person may ask about: holds, statements,
-- collections, refunds. No PHI in detail.
CREATE TABLE billing.guarantor_events (
    id             bigserial PRIMARY KEY,
    guarantor_key  text        NOT NULL,
    event_type     text        NOT NULL,
    actor          text        NOT NULL,
    detail         jsonb       NOT NULL DEFAULT '{}',
    dedupe_key     text        UNIQUE,
    occurred_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guarantor_events_key_idx ON billing.guarantor_events (guarantor_key, occurred_at);

-- The vendor files (printed and mailed by the statement vendor): one per statement batch.
CREATE TABLE billing.statement_vendor_files (
    id            bigserial PRIMARY KEY,
    statement_date date       NOT NULL,
    file_name     text        NOT NULL UNIQUE,
    content       bytea       NOT NULL,
    sha256        char(64)    NOT NULL,
    state         text        NOT NULL DEFAULT 'stored' CHECK (state IN ('stored', 'uploading', 'delivered')),
    statements    integer     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);

CREATE TABLE billing.statements (
    id               bigserial PRIMARY KEY,
    guarantor_key    text          NOT NULL,
    statement_date   date          NOT NULL,
    sequence         smallint      NOT NULL CHECK (sequence BETWEEN 1 AND 3),
    dunning_level    text          NOT NULL CHECK (dunning_level IN ('first', 'second', 'final')),
    previous_balance numeric(12,2) NOT NULL,
    new_charges      numeric(12,2) NOT NULL,
    payments         numeric(12,2) NOT NULL,
    amount_due       numeric(12,2) NOT NULL,
    due_date         date          NOT NULL,
    vendor_file_id   bigint        REFERENCES billing.statement_vendor_files(id),
    actor            text          NOT NULL,
    created_at       timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (guarantor_key, statement_date),
    CHECK (previous_balance + new_charges - payments = amount_due)
);
CREATE INDEX statements_date_idx ON billing.statements (statement_date);

CREATE TABLE billing.statement_lines (
    statement_id           bigint        NOT NULL REFERENCES billing.statements(id),
    line_number            smallint      NOT NULL,
    visit_id               integer       NOT NULL REFERENCES pm.visits(id),
    date_of_service        date          NOT NULL,
    provider               text,
    services               text          NOT NULL,          -- procedure codes
    charges                numeric(12,2) NOT NULL,
    insurance_paid         numeric(12,2) NOT NULL,
    adjustments            numeric(12,2) NOT NULL,
    patient_responsibility numeric(12,2) NOT NULL,
    patient_paid           numeric(12,2) NOT NULL,
    balance                numeric(12,2) NOT NULL,          -- 0 for a visit with insurance pending
    insurance_pending      boolean       NOT NULL,
    PRIMARY KEY (statement_id, line_number)
);
CREATE INDEX statement_lines_visit_idx ON billing.statement_lines (visit_id);

CREATE TABLE billing.statement_documents (
    statement_id   bigint      PRIMARY KEY REFERENCES billing.statements(id),
    html           text        NOT NULL,
    pdf            bytea,                                   -- NULL when Chromium is not installed
    sha256         char(64),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- "Your statement is ready" e-mails: at most one per statement.
CREATE TABLE billing.statement_notices (
    statement_id   bigint      PRIMARY KEY REFERENCES billing.statements(id),
    state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz
);
