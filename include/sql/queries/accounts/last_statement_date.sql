-- The last patient statement that listed each visit (statements made before as_of).
SELECT sl.visit_id, max(s.statement_date) AS last_statement_date
  FROM billing.statement_lines sl
  JOIN billing.statements s ON s.id = sl.statement_id
 WHERE (%(visit_ids)s::int[] IS NULL OR sl.visit_id = ANY(%(visit_ids)s::int[]))
   AND s.created_at < %(as_of)s
 GROUP BY sl.visit_id
