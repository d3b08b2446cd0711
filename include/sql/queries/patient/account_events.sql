SELECT event_type, actor, detail, occurred_at FROM billing.guarantor_events
 WHERE guarantor_key = %(key)s ORDER BY occurred_at DESC, id DESC LIMIT 50
