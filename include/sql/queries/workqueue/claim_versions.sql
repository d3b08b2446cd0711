SELECT c.id, c.claim_number, c.visit_id, c.responsibility, c.version, c.status,
       (SELECT max(o.version) FROM billing.claims o
        WHERE o.visit_id = c.visit_id AND o.responsibility = c.responsibility) AS max_version,
       v.visit_number
FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id
WHERE c.id = %(claim_id)s;
