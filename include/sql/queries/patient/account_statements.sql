SELECT id, statement_date, dunning_level, previous_balance, new_charges, payments, amount_due, due_date,
       vendor_file_id IS NOT NULL AS sent_to_vendor
  FROM billing.statements WHERE guarantor_key = %(key)s ORDER BY statement_date DESC, id DESC
