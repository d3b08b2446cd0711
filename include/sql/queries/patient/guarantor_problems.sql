-- Data-quality findings on guarantors (ids only, no PHI):
--   DQ_GUARANTOR_MINOR: a patient under 18 on `today` who is their own guarantor (a minor is not
--     the responsible party; the parent or guardian is);
--   DQ_GUARANTOR_ADDRESS: a guarantor whose mailing address is incomplete or whose ZIP is not
--     5 or 9 digits (statements could not be mailed); for a patient who is their own guarantor,
--     the patient's address;
--   DQ_GUARANTOR_EMAIL: an e-mail address that is not of the form local@domain.tld;
--   DQ_GUARANTOR_RELATIONSHIP: a patient with a guarantor but relationship 'self', or with
--     relationship 'parent'/'other' and no guarantor.
SELECT 'DQ_GUARANTOR_MINOR' AS reason, 'patient' AS kind, p.id::text AS ref
  FROM pm.patients p
 WHERE p.guarantor_id IS NULL AND p.birth_date > %(today)s::date - interval '18 years'
UNION ALL
SELECT 'DQ_GUARANTOR_ADDRESS', 'guarantor', g.guarantor_number
  FROM pm.guarantors g
 WHERE nullif(trim(g.address1), '') IS NULL OR nullif(trim(g.city), '') IS NULL
    OR g.state !~ '^[A-Z]{2}$' OR g.zip !~ '^([0-9]{5}|[0-9]{9})$'
UNION ALL
SELECT 'DQ_GUARANTOR_ADDRESS', 'patient', p.id::text
  FROM pm.patients p
 WHERE p.guarantor_id IS NULL
   AND (nullif(trim(p.address1), '') IS NULL OR nullif(trim(p.city), '') IS NULL
        OR coalesce(p.state, '') !~ '^[A-Z]{2}$' OR coalesce(p.zip, '') !~ '^([0-9]{5}|[0-9]{9})$')
UNION ALL
SELECT 'DQ_GUARANTOR_EMAIL', 'guarantor', g.guarantor_number
  FROM pm.guarantors g
 WHERE nullif(trim(g.email), '') IS NOT NULL AND g.email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
UNION ALL
SELECT 'DQ_GUARANTOR_RELATIONSHIP', 'patient', p.id::text
  FROM pm.patients p
 WHERE (p.guarantor_id IS NOT NULL AND p.guarantor_relationship = 'self')
    OR (p.guarantor_id IS NULL AND p.guarantor_relationship <> 'self')
ORDER BY 1, 2, 3
