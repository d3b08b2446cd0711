SELECT guarantor_key FROM billing.statement_holds WHERE released_at IS NULL
