INSERT INTO billing.statements (guarantor_key, statement_date, sequence, dunning_level, previous_balance,
                                new_charges, payments, amount_due, due_date, actor)
VALUES (%(key)s, %(statement_date)s, %(sequence)s, %(dunning_level)s, %(previous_balance)s, %(new_charges)s,
        %(payments)s, %(amount_due)s, %(due_date)s, %(actor)s)
ON CONFLICT (guarantor_key, statement_date) DO NOTHING
RETURNING id
