import itertools
import os

import psycopg
import pytest
from psycopg import sql

_counter = itertools.count()


@pytest.fixture
def make_db(pg_admin_url, pg_template):
    """Factory of extra fresh migrated databases (URLs), dropped after the test."""
    from urllib.parse import urlsplit, urlunsplit

    names = []

    def make() -> str:
        name = f"practice_t{os.getpid()}_{next(_counter)}"
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(pg_template)))
        names.append(name)
        return urlunsplit(urlsplit(pg_admin_url)._replace(path="/" + name))

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
