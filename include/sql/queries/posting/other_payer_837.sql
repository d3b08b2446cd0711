-- For secondary and tertiary claims: every earlier payer's adjudication with its payer and
-- subscriber (2320/2330A/2330B), in payer order. A tertiary claim's prior_payer_adjustments
-- holds {"payers": [primary's, secondary's]}; a secondary's is the primary's alone.
SELECT s.id AS claim_id, e.prior, py.name AS payer_name, py.payer_identifier, py.claim_filing_indicator,
       ip.subscriber_last_name, ip.subscriber_first_name, ip.member_id, ip.relationship_code, ip.group_number,
       p.responsibility
  FROM billing.claims s
 CROSS JOIN LATERAL jsonb_array_elements(
           CASE WHEN s.prior_payer_adjustments ? 'payers' THEN s.prior_payer_adjustments -> 'payers'
                ELSE jsonb_build_array(s.prior_payer_adjustments) END) WITH ORDINALITY AS e(prior, n)
  JOIN billing.claims p ON p.id = (e.prior ->> 'primary_claim_id')::bigint
  JOIN pm.payers py ON py.id = p.payer_id
  LEFT JOIN pm.insurance_policies ip ON ip.id = p.policy_id
 WHERE s.id = ANY(%(claim_ids)s) AND s.responsibility IN ('S', 'T') AND s.prior_payer_adjustments IS NOT NULL
 ORDER BY s.id, e.n
