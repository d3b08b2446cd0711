SELECT id, kind, name, size_bytes, created_at, dag_id, task_id, run_id, try_number
FROM billing.artefacts
WHERE work_item_id = %(work_item_id)s
ORDER BY id DESC;
