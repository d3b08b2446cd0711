-- Hand out `count` consecutive control numbers of one kind for one trading partner; returns the
-- last one. The row lock taken by UPDATE ... RETURNING keeps concurrent callers from sharing one.
-- ISA13 has 9 digits: the sequence wraps to 1 after 999,999,999.
UPDATE billing.control_numbers
SET last_value = CASE WHEN last_value + %(count)s > 999999999 THEN %(count)s ELSE last_value + %(count)s END
WHERE trading_partner = %(partner)s AND kind = %(kind)s
RETURNING last_value
