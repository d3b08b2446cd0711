SELECT id, kind, name, media_type, content, sha256, holds_phi, dag_id, task_id, run_id, try_number
FROM billing.artefacts
WHERE id = %(id)s;
