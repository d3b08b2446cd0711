-- The latest check of each policy that may be reused instead of a new 270:
--   a conclusive answer (active, inactive, unknown, review) within the cache window;
--   an answer whose AAA04 says not to resubmit (N, S, Y) within the cache window;
--   any answer whose AAA04 says to wait (W 30 days, X 10 days) until its retry_after day.
-- Other errors (AAA04 P / R / C, transport-level failures) are never reused: the next run asks again.
SELECT DISTINCT ON (policy_id) policy_id, id, status, plan_begin, plan_end, reject_reason,
       follow_up_action, retry_after, route, other_payer
FROM billing.eligibility_checks
WHERE policy_id = ANY(%(policy_ids)s::int[])
  AND ((checked_at >= billing.clock() - make_interval(days => %(cache_days)s)
        AND (status IN ('active', 'inactive', 'unknown', 'review') OR follow_up_action IN ('N', 'S', 'Y')))
       OR retry_after > %(today)s)
ORDER BY policy_id, checked_at DESC, id DESC
