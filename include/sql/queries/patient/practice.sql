-- The practice that bills (remit-to on the statement): the first billing provider.
SELECT organization_name, coalesce(pay_to_address1, address1), coalesce(pay_to_city, city),
       coalesce(pay_to_state, state), coalesce(pay_to_zip, zip), phone
  FROM pm.billing_providers ORDER BY id LIMIT 1
