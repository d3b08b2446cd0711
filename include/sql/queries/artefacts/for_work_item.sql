SELECT id FROM billing.artefacts WHERE work_item_id = %(work_item_id)s AND kind = %(kind)s ORDER BY id;
