-- Open work right now, by source: items, unassigned, overdue.
SELECT source, count(*) AS open_items,
       count(*) FILTER (WHERE assignee IS NULL) AS unassigned,
       count(*) FILTER (WHERE due_date < billing.clock()::date) AS overdue,
       min(created_at) AS oldest
FROM billing.work_queue
WHERE state IN ('open', 'in_progress')
GROUP BY source
ORDER BY source;
