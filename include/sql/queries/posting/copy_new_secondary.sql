COPY posting_new_secondary (position, claim_number, responsibility, policy_id, payer_id, prior_payer_paid,
                            prior_payer_adjustments, primary_claim_id) FROM STDIN
