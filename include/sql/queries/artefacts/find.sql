SELECT id FROM billing.artefacts WHERE natural_key = %(natural_key)s;
