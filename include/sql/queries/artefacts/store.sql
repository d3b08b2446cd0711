-- Store an artefact; the same natural key again (a retried task) replaces its bytes, same id.
INSERT INTO billing.artefacts (kind, name, media_type, content, size_bytes, sha256, holds_phi, natural_key,
                               work_item_id)
VALUES (%(kind)s, %(name)s, %(media_type)s, %(content)s, %(size_bytes)s, %(sha256)s, %(holds_phi)s,
        %(natural_key)s, %(work_item_id)s)
ON CONFLICT (natural_key) DO UPDATE
   SET content = EXCLUDED.content, size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,
       media_type = EXCLUDED.media_type, created_at = billing.clock(),
       dag_id = EXCLUDED.dag_id, task_id = EXCLUDED.task_id, run_id = EXCLUDED.run_id,
       try_number = EXCLUDED.try_number, map_index = EXCLUDED.map_index
RETURNING id;
