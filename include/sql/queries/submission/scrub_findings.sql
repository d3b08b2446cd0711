-- Scrubbing's rules, the one implementation of them (include.billing.scrub lists them; tests/unit/submission/
-- test_scrub_sql.py plants each rule's defects): every claim waiting for it (status new), or the named
-- claims, with the first finding of each rule in rule order (the `findings` part below: each rule's code
-- and its message, word for word). The values judged in Python once each (scrub_values)
-- come in as parameters: %(bad_billing_providers)s and %(bad_providers)s (a failing NPI),
-- %(non_billable)s (diagnosis codes), %(blank_payers)s (no clearinghouse id), and everything judged
-- (%(judged_billing_providers)s, %(judged_providers)s, %(judged_payers)s, %(judged_codes)s): a claim
-- that became new after scrub_values read them names something not judged and waits for the next run.
-- %(known_modifiers)s and %(distinct_service_modifiers)s are scrub's lists, %(today)s the run's date.
-- %(claim_ids)s: NULL = every claim in status new; given = exactly those claims whatever their status (a
-- corrected claim released from the work queue), judged against the same other claims (duplicates) and
-- payments (a secondary's timely filing) as a waiting claim.
-- codes and messages are empty for a clean claim.
WITH pending AS MATERIALIZED (
    SELECT c.id, c.claim_number, c.visit_id, c.date_of_service, c.total_charge, c.diagnosis_codes,
           cardinality(c.diagnosis_codes) AS n_dx, c.responsibility, c.payer_id,
           v.patient_id, v.billing_provider_id, v.rendering_provider_id, v.referring_provider_id,
           py.id AS payer_row, coalesce(py.timely_filing_days, 365) AS timely_filing_days,
           -- a column, not a filter: the planner keeps its row estimate for the joins below
           (v.billing_provider_id = ANY(%(judged_billing_providers)s::integer[])
            AND (v.rendering_provider_id IS NULL OR v.rendering_provider_id = ANY(%(judged_providers)s::integer[]))
            AND (v.referring_provider_id IS NULL OR v.referring_provider_id = ANY(%(judged_providers)s::integer[]))
            AND (py.id IS NULL OR py.id = ANY(%(judged_payers)s::integer[]))
            AND array_remove(c.diagnosis_codes, NULL) <@ %(judged_codes)s::text[]) AS judged
    FROM billing.claims c
    JOIN pm.visits v ON v.id = c.visit_id
    JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    WHERE ((c.status = 'new' AND %(claim_ids)s::bigint[] IS NULL)   -- every waiting claim, or
       OR c.id = ANY(%(claim_ids)s::bigint[]))                       -- the named ones: a corrected claim, any status
      AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)   -- one wave (submission.wave_end)
), lines AS MATERIALIZED (
    SELECT l.claim_id, l.line_number, l.procedure_code, l.charge, l.modifiers, l.dx_pointers, l.service_date,
           p.n_dx, (l.procedure_code ~ '^[0-9]{5}$' AND l.procedure_code::integer BETWEEN 99202 AND 99499) AS is_em,
           -- another code billed the same day on the claim (modifier 25): more lines that day than with this code
           count(*) OVER (PARTITION BY l.claim_id, coalesce(l.service_date, p.date_of_service))
             > count(*) OVER (PARTITION BY l.claim_id, coalesce(l.service_date, p.date_of_service), l.procedure_code)
             AS other_code_that_day
    FROM billing.claim_lines l
    JOIN pending p ON p.id = l.claim_id
), others AS MATERIALIZED (
    -- lines of claims that can be duplicated: billed (not new/held/rejected/replaced/voided) or new; of two
    -- waiting duplicates the lower claim id goes on and the other is held; of several, the lowest claim id
    SELECT l2.service_date, l2.procedure_code, v2.patient_id, v2.rendering_provider_id,
           c2.id, c2.visit_id, c2.status, c2.claim_number
    FROM billing.claim_lines l2
    JOIN billing.claims c2 ON c2.id = l2.claim_id
    JOIN pm.visits v2 ON v2.id = c2.visit_id
    WHERE c2.status NOT IN ('held', 'rejected', 'replaced', 'voided')
      AND (l2.service_date, l2.procedure_code) IN (SELECT DISTINCT service_date, procedure_code FROM lines)
), duplicates AS (
    SELECT DISTINCT ON (l.claim_id, l.line_number) l.claim_id, l.line_number, o.claim_number
    FROM lines l
    JOIN pending p ON p.id = l.claim_id
    JOIN others o ON o.patient_id = p.patient_id
                 AND o.service_date = l.service_date
                 AND o.procedure_code = l.procedure_code
    WHERE o.rendering_provider_id IS NOT DISTINCT FROM p.rendering_provider_id
      AND o.visit_id <> p.visit_id
      AND (o.status <> 'new' OR o.id < l.claim_id)
    ORDER BY l.claim_id, l.line_number, o.id
), per_claim AS (
    SELECT l.claim_id, count(*) AS n_lines, sum(l.charge) AS line_sum, max(l.service_date) AS last_day,
           min(l.service_date) AS first_day
    FROM lines l GROUP BY l.claim_id
), filing AS (
    -- a secondary (tertiary) claim's timely filing runs from the prior payer's latest 835 payment date
    SELECT p.id AS claim_id,
           (SELECT max(r.payment_date)
              FROM billing.claims pc
              JOIN billing.claim_payments cp ON cp.claim_id = pc.id AND NOT cp.is_reversal
              JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
             WHERE pc.visit_id = p.visit_id AND pc.responsibility < p.responsibility) AS filing_from
    FROM pending p WHERE p.responsibility <> 'P'
), modifier_parts AS (
    SELECT l.claim_id, l.line_number, part.k, part.text
    FROM lines l
    CROSS JOIN LATERAL (
        SELECT 1 AS k, 'line ' || l.line_number || ' has ' || cardinality(l.modifiers) || ' modifiers (at most 4)' AS text
         WHERE cardinality(l.modifiers) > 4
        UNION ALL
        SELECT 2, 'line ' || l.line_number || ' repeats a modifier'
         WHERE (SELECT count(DISTINCT m) FROM unnest(l.modifiers) m) <> cardinality(l.modifiers)
        UNION ALL
        SELECT 3, 'line ' || l.line_number || ' has unknown modifier(s) ' || string_agg(m, ', ' ORDER BY n)
          FROM unnest(l.modifiers) WITH ORDINALITY AS u(m, n)
         WHERE m <> ALL(%(known_modifiers)s::text[])
        HAVING count(*) > 0
    ) part
    WHERE cardinality(l.modifiers) > 0
), modifier_25_parts AS (
    SELECT l.claim_id, l.line_number,
           CASE WHEN l.procedure_code ~ '^[0-9]+$' AND NOT l.is_em
                THEN 'line ' || l.line_number || ': modifier 25 is for E/M codes (99202-99499), not '
                     || l.procedure_code
                ELSE 'line ' || l.line_number || ': modifier 25 on ' || l.procedure_code
                     || ' needs another service billed on the same date on this claim; without one, remove it'
           END AS text
    FROM lines l
    WHERE '25' = ANY(l.modifiers)
      AND ((l.procedure_code ~ '^[0-9]+$' AND NOT l.is_em) OR NOT l.other_code_that_day)
), modifier_59_parts AS (
    SELECT l.claim_id, l.line_number, u.n, 'line ' || l.line_number || ' (' || l.procedure_code || '-' || u.m || ')' AS text
    FROM lines l, unnest(l.modifiers) WITH ORDINALITY AS u(m, n)
    WHERE l.is_em AND u.m = ANY(%(distinct_service_modifiers)s::text[])
), pointers AS (
    SELECT l.claim_id, l.line_number, l.n_dx, u.x, u.n
    FROM lines l, unnest(l.dx_pointers) WITH ORDINALITY AS u(x, n)
), pointer_parts AS (
    -- the claim's own problems first (line_number NULL), then each line's
    SELECT p.id AS claim_id, NULL::smallint AS line_number, 0 AS k, 'the claim has no diagnosis' AS text
      FROM pending p WHERE p.n_dx = 0
    UNION ALL
    SELECT p.id, NULL, 1, 'the claim has ' || p.n_dx || ' diagnoses (at most 12)' FROM pending p WHERE p.n_dx > 12
    UNION ALL
    SELECT claim_id, line_number, 2, 'line ' || line_number || ' has ' || cardinality(dx_pointers)
                                     || ' diagnosis pointers (1 to 4)'
      FROM lines WHERE cardinality(dx_pointers) NOT BETWEEN 1 AND 4
    UNION ALL
    SELECT claim_id, line_number, 3, 'line ' || line_number || ' points to diagnosis '
                                     || string_agg(x::text, ', ' ORDER BY n) || ' but the claim has ' || min(n_dx)
      FROM pointers WHERE x NOT BETWEEN 1 AND least(n_dx, 12) GROUP BY claim_id, line_number
    UNION ALL
    SELECT DISTINCT claim_id, line_number, 4, 'line ' || line_number || ' repeats a pointer'
      FROM pointers GROUP BY claim_id, line_number, x HAVING count(*) > 1
), total_parts AS (
    SELECT p.id AS claim_id, 1 AS k, 'the claim has no service lines' AS text
      FROM pending p LEFT JOIN per_claim pc ON pc.claim_id = p.id WHERE pc.claim_id IS NULL
    UNION ALL
    SELECT p.id, 2, 'claim total ' || p.total_charge || ' differs from the sum of its lines '
                    || coalesce(pc.line_sum, 0)
      FROM pending p LEFT JOIN per_claim pc ON pc.claim_id = p.id
     WHERE coalesce(pc.line_sum, 0) <> p.total_charge
    UNION ALL
    SELECT p.id, 3, 'the claim total is not positive' FROM pending p WHERE p.total_charge <= 0
    UNION ALL
    SELECT l.claim_id, 4, 'line(s) ' || string_agg(l.line_number::text, ', ' ORDER BY l.line_number)
                          || ' have no positive charge'
      FROM lines l WHERE l.charge <= 0 GROUP BY l.claim_id
), findings AS (
    SELECT p.id AS claim_id, 1 AS rule, 'SCRUB_NPI' AS code,
           'The ' || CASE WHEN p.billing_provider_id = ANY(%(bad_billing_providers)s::integer[]) THEN 'billing'
                          WHEN p.rendering_provider_id = ANY(%(bad_providers)s::integer[]) THEN 'rendering'
                          ELSE 'referring' END
           || ' provider NPI fails the NPI check-digit test (10 digits, Luhn over prefix 80840); correct it in the provider file.' AS message
      FROM pending p
     WHERE p.billing_provider_id = ANY(%(bad_billing_providers)s::integer[])
        OR p.rendering_provider_id = ANY(%(bad_providers)s::integer[])
        OR p.referring_provider_id = ANY(%(bad_providers)s::integer[])
    UNION ALL
    SELECT p.id, 2, 'SCRUB_ICD10_NOT_BILLABLE',
           'Diagnosis position(s) ' || string_agg(d.n::text, ', ' ORDER BY d.n) || ' are not billable ICD-10-CM codes '
           || '(a category or header, or not in the code set); code to the highest specificity.'
      FROM pending p, unnest(p.diagnosis_codes) WITH ORDINALITY AS d(code, n)
     WHERE d.code IS NULL OR d.code = ANY(%(non_billable)s::text[])
     GROUP BY p.id
    UNION ALL
    SELECT l.claim_id, 3, 'SCRUB_CPT_FORMAT',
           'Line(s) ' || string_agg(l.line_number::text, ', ' ORDER BY l.line_number) || ': procedure code is not a '
           || 'CPT (5 characters) or HCPCS (letter + 4 digits) code.'
      FROM lines l
     WHERE l.procedure_code IS NULL OR l.procedure_code !~ '^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$'
     GROUP BY l.claim_id
    UNION ALL
    SELECT claim_id, 4, 'SCRUB_MODIFIER', 'Modifier problem: ' || string_agg(text, '; ' ORDER BY line_number, k) || '.'
      FROM modifier_parts GROUP BY claim_id
    UNION ALL
    SELECT claim_id, 5, 'SCRUB_MODIFIER_25', 'Modifier 25 problem: ' || string_agg(text, '; ' ORDER BY line_number) || '.'
      FROM modifier_25_parts GROUP BY claim_id
    UNION ALL
    SELECT claim_id, 6, 'SCRUB_MODIFIER_59', 'Modifier 59 (or XE/XP/XS/XU) never goes on an E/M code: '
           || string_agg(text, ', ' ORDER BY line_number, n) || '; an E/M separate from a procedure takes 25.'
      FROM modifier_59_parts GROUP BY claim_id
    UNION ALL
    SELECT claim_id, 7, 'SCRUB_DX_POINTER',
           'Diagnosis pointer problem: ' || string_agg(text, '; ' ORDER BY line_number NULLS FIRST, k) || '.'
      FROM pointer_parts GROUP BY claim_id
    UNION ALL
    SELECT claim_id, 8, 'SCRUB_TOTALS', 'Charge problem: ' || string_agg(text, '; ' ORDER BY k) || '.'
      FROM total_parts GROUP BY claim_id
    UNION ALL
    SELECT p.id, 9, 'SCRUB_DOS_FUTURE', 'The date of service is in the future; a claim can be billed '
           || 'only after the service was given.'
      FROM pending p LEFT JOIN per_claim pc ON pc.claim_id = p.id
     WHERE greatest(p.date_of_service, pc.last_day) > %(today)s::date
    UNION ALL
    SELECT p.id, 10, 'SCRUB_TIMELY_FILING',
           'The payer''s timely-filing limit (' || p.timely_filing_days || ' days from '
           || CASE WHEN f.filing_from IS NOT NULL THEN 'the prior payer''s 835 payment date'
                   ELSE 'the date of service' END
           || ') passed on ' || to_char(w.deadline, 'YYYY-MM-DD') || '; send with proof of timely filing or write off.'
      FROM pending p
      LEFT JOIN per_claim pc ON pc.claim_id = p.id
      LEFT JOIN filing f ON f.claim_id = p.id
      CROSS JOIN LATERAL (SELECT coalesce(f.filing_from, least(p.date_of_service, pc.first_day))
                                 + p.timely_filing_days AS deadline) w
     WHERE %(today)s::date > w.deadline
    UNION ALL
    SELECT d.claim_id, 11, 'SCRUB_DUPLICATE', 'Possible duplicate: ' || string_agg(
               'line ' || d.line_number || ' repeats a line of claim ' || d.claim_number
               || ' (same patient, date, code and rendering provider)', '; ' ORDER BY d.line_number) || '.'
      FROM duplicates d GROUP BY d.claim_id
    UNION ALL
    SELECT p.id, 12, 'SCRUB_PAYER_UNKNOWN', 'The payer has no clearinghouse payer id; add it to the payer '
           || 'file before the claim can be sent.'
      FROM pending p WHERE p.payer_row IS NULL OR p.payer_row = ANY(%(blank_payers)s::integer[])
)
SELECT p.id, p.claim_number,
       coalesce(array_agg(f.code ORDER BY f.rule) FILTER (WHERE f.code IS NOT NULL), '{}') AS codes,
       coalesce(array_agg(f.message ORDER BY f.rule) FILTER (WHERE f.code IS NOT NULL), '{}') AS messages
FROM pending p
LEFT JOIN findings f ON f.claim_id = p.id
WHERE p.judged
GROUP BY p.id, p.claim_number
ORDER BY p.id
