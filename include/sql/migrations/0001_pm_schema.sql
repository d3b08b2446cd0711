-- The practice-management (PM) database: what a PM system holds and this product reads.
-- In production these tables belong to the PM vendor; the synthetic practice fills them locally.

CREATE SCHEMA IF NOT EXISTS pm;

CREATE TABLE pm.billing_providers (
    id               serial PRIMARY KEY,
    npi              char(10)     NOT NULL UNIQUE,
    organization_name text        NOT NULL,
    tax_id           varchar(9)   NOT NULL,           -- EIN, digits only
    taxonomy_code    varchar(10)  NOT NULL,
    address1         text         NOT NULL,
    city             text         NOT NULL,
    state            char(2)      NOT NULL,
    zip              varchar(9)   NOT NULL,           -- 2010AA requires the 9-digit ZIP
    phone            varchar(10),
    contact_name     text,
    -- pay-to address (2010AB), only when payments go elsewhere
    pay_to_address1  text,
    pay_to_city      text,
    pay_to_state     char(2),
    pay_to_zip       varchar(9)
);

-- Individual clinicians: rendering and referring providers.
CREATE TABLE pm.providers (
    id            serial PRIMARY KEY,
    npi           char(10)    NOT NULL UNIQUE,
    last_name     text        NOT NULL,
    first_name    text        NOT NULL,
    taxonomy_code varchar(10)
);

CREATE TABLE pm.facilities (
    id        serial PRIMARY KEY,
    npi       char(10) UNIQUE,
    name      text     NOT NULL,
    address1  text     NOT NULL,
    city      text     NOT NULL,
    state     char(2)  NOT NULL,
    zip       varchar(9) NOT NULL
);

CREATE TABLE pm.payers (
    id                     serial PRIMARY KEY,
    name                   text        NOT NULL,
    payer_identifier       varchar(80) UNIQUE,        -- the payer id at the clearinghouse (NM109 of 2010BB); NULL for self-pay
    claim_filing_indicator varchar(2)  NOT NULL,      -- SBR09: MB Medicare B, MC Medicaid, CI commercial, BL BCBS, HM HMO, ZZ self-pay
    timely_filing_days     integer     NOT NULL DEFAULT 365 CHECK (timely_filing_days > 0),
    clearinghouse          text        NOT NULL DEFAULT 'sandbox',
    is_self_pay            boolean     NOT NULL DEFAULT false,
    address1               text,
    city                   text,
    state                  char(2),
    zip                    varchar(9)
);

CREATE TABLE pm.patients (
    id          serial PRIMARY KEY,
    mrn         varchar(30) NOT NULL UNIQUE,          -- medical record number, the PM's natural key
    last_name   text        NOT NULL,
    first_name  text        NOT NULL,
    birth_date  date        NOT NULL,
    sex         char(1)     NOT NULL CHECK (sex IN ('M', 'F', 'U')),
    address1    text        NOT NULL,
    city        text        NOT NULL,
    state       char(2)     NOT NULL,
    zip         varchar(9)  NOT NULL
);

CREATE TABLE pm.insurance_policies (
    id                  serial PRIMARY KEY,
    patient_id          integer     NOT NULL REFERENCES pm.patients(id),
    payer_id            integer     NOT NULL REFERENCES pm.payers(id),
    priority            text        NOT NULL CHECK (priority IN ('primary', 'secondary', 'tertiary')),
    member_id           varchar(80),                  -- NULL/blank is a data-quality failure, not a schema one
    group_number        varchar(50),
    -- the subscriber is the patient (relationship 18) or another person
    relationship_code   varchar(2)  NOT NULL DEFAULT '18',   -- 18 self, 01 spouse, 19 child, 20 employee, G8 other
    subscriber_last_name  text      NOT NULL,
    subscriber_first_name text      NOT NULL,
    subscriber_birth_date date      NOT NULL,
    subscriber_sex        char(1)   NOT NULL CHECK (subscriber_sex IN ('M', 'F', 'U')),
    subscriber_address1   text      NOT NULL,
    subscriber_city       text      NOT NULL,
    subscriber_state      char(2)   NOT NULL,
    subscriber_zip        varchar(9) NOT NULL,
    effective_date      date        NOT NULL,
    termination_date    date,
    UNIQUE (patient_id, priority, effective_date)
);
CREATE INDEX ON pm.insurance_policies (patient_id);

CREATE TABLE pm.fee_schedule (
    procedure_code varchar(5)    PRIMARY KEY,
    description    text          NOT NULL,
    amount         numeric(12,2) NOT NULL CHECK (amount >= 0)
);

CREATE TABLE pm.visits (
    id                     serial PRIMARY KEY,
    visit_number           varchar(20) NOT NULL UNIQUE,   -- the PM's encounter number
    patient_id             integer     NOT NULL REFERENCES pm.patients(id),
    billing_provider_id    integer     NOT NULL REFERENCES pm.billing_providers(id),
    rendering_provider_id  integer     REFERENCES pm.providers(id),
    referring_provider_id  integer     REFERENCES pm.providers(id),
    facility_id            integer     REFERENCES pm.facilities(id),
    place_of_service       char(2)     NOT NULL,
    date_of_service        date        NOT NULL,
    status                 text        NOT NULL DEFAULT 'scheduled'
                           CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    completed_at           timestamptz,
    prior_authorization    varchar(50),
    onset_date             date,
    accident_type          varchar(3),                     -- CLM11: AA auto, EM employment, OA other
    accident_state         char(2),
    accident_date          date,
    CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);
CREATE INDEX visits_completed_idx ON pm.visits (completed_at) WHERE status = 'completed';

CREATE TABLE pm.charges (
    id               serial PRIMARY KEY,
    visit_id         integer       NOT NULL REFERENCES pm.visits(id),
    line_number      smallint      NOT NULL CHECK (line_number BETWEEN 1 AND 50),
    procedure_code   varchar(5)    NOT NULL,
    modifier1        varchar(2),
    modifier2        varchar(2),
    modifier3        varchar(2),
    modifier4        varchar(2),
    units            numeric(7,2)  NOT NULL DEFAULT 1 CHECK (units > 0),
    amount           numeric(12,2) NOT NULL,               -- line charge (all units)
    dx_pointer1      smallint,
    dx_pointer2      smallint,
    dx_pointer3      smallint,
    dx_pointer4      smallint,
    ndc              varchar(11),
    UNIQUE (visit_id, line_number)
);

CREATE TABLE pm.visit_diagnoses (
    visit_id     integer     NOT NULL REFERENCES pm.visits(id),
    sequence     smallint    NOT NULL CHECK (sequence BETWEEN 1 AND 12),
    icd10_code   varchar(8)  NOT NULL,                     -- without the dot, as sent on the claim
    PRIMARY KEY (visit_id, sequence)
);

-- Ground truth of the synthetic practice: which visits were generated dirty and why,
-- so tests can check that exactly those are caught. Real PM data leaves it empty.
CREATE TABLE pm.synthetic_visit_labels (
    visit_id      integer PRIMARY KEY REFERENCES pm.visits(id),
    dirty_kind    text    NOT NULL
);
