-- The practice that bills (remit-to on the statement): the first billing provider.
SELECT organization_name AS name, coalesce(pay_to_address1, address1) AS address1, coalesce(pay_to_city, city) AS city,
       coalesce(pay_to_state, state) AS state, coalesce(pay_to_zip, zip) AS zip, phone
  FROM pm.billing_providers ORDER BY id LIMIT 1
