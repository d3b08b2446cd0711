-- The latest conclusive check of each policy within the cache window (errors are never reused).
SELECT DISTINCT ON (policy_id) policy_id, id, status, plan_begin, plan_end, reject_reason
FROM billing.eligibility_checks
WHERE policy_id = ANY(%(policy_ids)s::int[])
  AND checked_at >= now() - make_interval(days => %(cache_days)s)
  AND status IN ('active', 'inactive', 'unknown')
ORDER BY policy_id, checked_at DESC, id DESC
