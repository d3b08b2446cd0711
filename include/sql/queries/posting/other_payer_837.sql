-- For responsibility-S claims: the primary's payer and subscriber (2320/2330A/2330B).
SELECT s.id, s.prior_payer_adjustments, py.name, py.payer_identifier, py.claim_filing_indicator,
       ip.subscriber_last_name, ip.subscriber_first_name, ip.member_id, ip.relationship_code, ip.group_number
  FROM billing.claims s
  JOIN billing.claims p ON p.id = (s.prior_payer_adjustments->>'primary_claim_id')::bigint
  JOIN pm.payers py ON py.id = p.payer_id
  LEFT JOIN pm.insurance_policies ip ON ip.id = p.policy_id
 WHERE s.id = ANY(%(claim_ids)s) AND s.responsibility = 'S' AND s.prior_payer_adjustments IS NOT NULL
