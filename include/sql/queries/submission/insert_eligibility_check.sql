INSERT INTO billing.eligibility_checks
    (service_date, transport, policy_id, status, plan_begin, plan_end, copay, coinsurance_percent, deductible,
     deductible_remaining, out_of_pocket_remaining, reject_reason, request_file_id, response_file_id,
     follow_up_action, retry_after, route, other_payer)
VALUES (%(service_date)s, %(transport)s, %(policy_id)s, %(status)s, %(plan_begin)s, %(plan_end)s, %(copay)s,
        %(coinsurance_percent)s, %(deductible)s, %(deductible_remaining)s, %(out_of_pocket_remaining)s,
        %(reject_reason)s, %(request_file_id)s, %(response_file_id)s, %(follow_up_action)s, %(retry_after)s,
        %(route)s, %(other_payer)s)
