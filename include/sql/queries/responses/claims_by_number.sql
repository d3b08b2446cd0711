SELECT id, claim_number, status FROM billing.claims WHERE claim_number = ANY(%(claim_numbers)s)
