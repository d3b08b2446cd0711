-- Initial denial rate (HFMA Claim Integrity Task Force, "Standardizing Denial Metrics", 2020:
-- initial denials as a percentage of claim volume and of gross charges, at claim and line level;
-- HFMA MAP Key AR-5 remittance denial rate). See docs/metrics.md.
--   claims : every claim whose FIRST 835 adjudication (billing.kpi_initial_adjudications: first
--            non-reversal CLP of a posted remittance by as_of) has its payment date (BPR16) in the
--            period; denied = CLP02 4, or nothing paid and nothing allowed with a CO/PI/OA denial
--            reason (deductible-only claims are processed, not denied).
--   lines  : the service lines (SVC) of those adjudications, with the same rule per line.
--   rate_count = denied ÷ adjudicated;  rate_dollars = Σ charge (CLP03 / SVC02) of denied ÷ Σ charge.
WITH claims AS (
    SELECT ia.claim_id, ia.charge, ia.denied
    FROM billing.kpi_initial_adjudications(%(as_of_ts)s, %(report_tz)s) ia
    WHERE ia.remit_date BETWEEN %(period_start)s AND %(period_end)s
),
lines AS (
    SELECT la.claim_id, la.charge, la.denied
    FROM billing.kpi_initial_line_adjudications(%(as_of_ts)s, %(report_tz)s, %(period_start)s, %(period_end)s) la
),
line_totals AS (
    SELECT claim_id, count(*) AS lines, count(*) FILTER (WHERE denied) AS lines_denied,
           sum(charge) AS line_charges, coalesce(sum(charge) FILTER (WHERE denied), 0) AS line_denied_charges
    FROM lines GROUP BY claim_id
),
base AS (
    SELECT c.payer_id, coalesce(py.name, 'No payer') AS payer_name,
           v.rendering_provider_id AS provider_id,
           coalesce(pr.last_name || ', ' || pr.first_name || ' (' || pr.npi || ')', 'No rendering provider') AS provider_name,
           k.denied, k.charge,
           coalesce(lt.lines, 0) AS lines, coalesce(lt.lines_denied, 0) AS lines_denied,
           coalesce(lt.line_charges, 0) AS line_charges, coalesce(lt.line_denied_charges, 0) AS line_denied_charges
    FROM claims k
    JOIN billing.claims c ON c.id = k.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    LEFT JOIN line_totals lt ON lt.claim_id = k.claim_id
    LEFT JOIN pm.payers py ON py.id = c.payer_id
    LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
)
SELECT CASE WHEN GROUPING(payer_id) = 0 THEN 'payer' WHEN GROUPING(provider_id) = 0 THEN 'provider' ELSE 'overall' END AS dimension,
       coalesce(payer_id, provider_id)::text AS key,
       coalesce(payer_name, provider_name, 'All') AS label,
       count(*) AS adjudicated,
       count(*) FILTER (WHERE denied) AS denied,
       coalesce(sum(charge), 0)::numeric(14,2) AS adjudicated_charges,
       coalesce(sum(charge) FILTER (WHERE denied), 0)::numeric(14,2) AS denied_charges,
       round(count(*) FILTER (WHERE denied)::numeric / nullif(count(*), 0), 4) AS rate_count,
       round(coalesce(sum(charge) FILTER (WHERE denied), 0) / nullif(sum(charge), 0), 4) AS rate_dollars,
       coalesce(sum(lines), 0) AS lines_adjudicated,
       coalesce(sum(lines_denied), 0) AS lines_denied,
       coalesce(sum(line_charges), 0)::numeric(14,2) AS line_charges,
       coalesce(sum(line_denied_charges), 0)::numeric(14,2) AS line_denied_charges,
       round(sum(lines_denied)::numeric / nullif(sum(lines), 0), 4) AS line_rate_count,
       round(sum(line_denied_charges) / nullif(sum(line_charges), 0), 4) AS line_rate_dollars
FROM base
GROUP BY GROUPING SETS ((), (payer_id, payer_name), (provider_id, provider_name))
ORDER BY dimension, label;
