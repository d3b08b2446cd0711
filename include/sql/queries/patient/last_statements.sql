-- Each guarantor's latest statement dated on or before the statement date.
SELECT DISTINCT ON (guarantor_key) guarantor_key, id, statement_date, sequence, amount_due
  FROM billing.statements
 WHERE statement_date <= %(statement_date)s
 ORDER BY guarantor_key, statement_date DESC, id DESC
