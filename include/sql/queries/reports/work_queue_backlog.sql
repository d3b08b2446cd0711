-- Work-queue backlog at as_of: items open then (billing.report_open_work_items), overall,
-- by source and by source + reason; age in days from created_at to the end of the as_of day.
WITH base AS (
    SELECT w.source, w.reason_code, w.created_at,
           extract(epoch FROM %(as_of_ts)s::timestamptz - w.created_at) / 86400 AS age_days
    FROM billing.report_open_work_items(%(as_of_ts)s) w
)
SELECT CASE WHEN GROUPING(reason_code) = 0 THEN 'reason' WHEN GROUPING(source) = 0 THEN 'source' ELSE 'overall' END AS dimension,
       coalesce(source, 'All') AS source,
       reason_code,
       count(*) AS open_items,
       min(created_at) AS oldest_created_at,
       round(max(age_days)::numeric, 1) AS oldest_age_days,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY age_days))::numeric, 1) AS median_age_days
FROM base
GROUP BY GROUPING SETS ((), (source), (source, reason_code))
ORDER BY dimension, source, reason_code NULLS FIRST;
