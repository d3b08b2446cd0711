SELECT pdf FROM billing.statement_documents WHERE statement_id = %(statement_id)s
