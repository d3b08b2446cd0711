-- depends: 0002_billing_schema
-- Simulation truth of the synthetic practice, like pm.synthetic_visit_labels: what the payers
-- know about each member (the practice does not). The clearinghouse sandbox never reads these
-- tables; it reads the roster JSON exported from them. Real PM data leaves them empty.

-- One row per person a payer covers. Dependents share their subscriber's member id and are
-- told apart by name and birth date, as on a 270/271 (2100D).
CREATE TABLE pm.synthetic_member_plans (
    id                 serial PRIMARY KEY,
    payer_id           integer       NOT NULL REFERENCES pm.payers(id),
    member_id          varchar(80)   NOT NULL,
    relationship_code  varchar(2)    NOT NULL DEFAULT '18',   -- to the subscriber: 18 self, 01 spouse, 19 child
    last_name          text          NOT NULL,
    first_name         text          NOT NULL,
    birth_date         date          NOT NULL,
    sex                char(1)       NOT NULL CHECK (sex IN ('M', 'F', 'U')),
    group_number       varchar(50),
    status             text          NOT NULL CHECK (status IN ('active', 'terminated')),
    plan_begin         date          NOT NULL,
    plan_end           date,
    copay              numeric(12,2) NOT NULL DEFAULT 0 CHECK (copay >= 0),
    coinsurance        numeric(4,2)  NOT NULL DEFAULT 0 CHECK (coinsurance BETWEEN 0 AND 1),
    deductible         numeric(12,2) NOT NULL DEFAULT 0 CHECK (deductible >= 0),
    deductible_met     numeric(12,2) NOT NULL DEFAULT 0 CHECK (deductible_met >= 0),
    out_of_pocket_max  numeric(12,2) NOT NULL DEFAULT 0 CHECK (out_of_pocket_max >= 0),
    -- the PM policy this coverage corresponds to; NULL for a subscriber who is not a patient
    policy_id          integer       REFERENCES pm.insurance_policies(id),
    CHECK (deductible_met <= deductible),
    CHECK (status = 'active' OR plan_end IS NOT NULL),
    UNIQUE (payer_id, member_id, last_name, first_name, birth_date)
);

-- How the practice was generated, so a re-run can report (and keep) what is there.
CREATE TABLE pm.synthetic_seed_runs (
    id           serial PRIMARY KEY,
    seed         bigint        NOT NULL,
    visits       integer       NOT NULL,
    dirty_share  numeric(6,4)  NOT NULL,
    dirty_kinds  text[]        NOT NULL,
    today        date          NOT NULL,
    start_date   date          NOT NULL,
    end_date     date          NOT NULL,
    created_at   timestamptz   NOT NULL DEFAULT now()
);
