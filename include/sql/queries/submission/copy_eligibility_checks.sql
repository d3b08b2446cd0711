COPY billing.eligibility_checks
    (service_date, transport, policy_id, status, plan_begin, plan_end, copay, coinsurance_percent, deductible,
     deductible_remaining, out_of_pocket_remaining, reject_reason, request_file_id, response_file_id,
     follow_up_action, retry_after, route, other_payer)
FROM STDIN
