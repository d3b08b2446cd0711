SELECT id, name, content, created_at
FROM billing.artefacts
WHERE kind = 'report_archive'
ORDER BY created_at DESC, id DESC
LIMIT %(limit)s;
