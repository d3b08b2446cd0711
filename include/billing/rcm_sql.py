"""The one loader of named SQL: include/sql/queries/<area>/<name>.sql.

Queries are plain files with `%(name)s` parameters, read once and cached; nothing is built
from strings at run time. Every module that runs SQL loads it here (`run` gives named rows;
workqueue.load_query and reports.load_query are this function with their area filled in).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from psycopg.rows import namedtuple_row

QUERIES_DIR = Path(__file__).resolve().parents[1] / "sql" / "queries"


def names(area: str) -> list[str]:
    """The queries of an area, sorted (the reports' metrics are the files of `reports/`)."""
    return sorted(p.stem for p in (QUERIES_DIR / area).glob("*.sql"))


@lru_cache(maxsize=None)
def query(area: str, name: str) -> str:
    path = QUERIES_DIR / area / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LookupError(f"no query {name!r} in {area}/ at {path} (have: {', '.join(names(area))})") from exc


def run(conn, area: str, name: str, params=None):
    """Execute a named query; its rows come back as named tuples (fields named by the query's
    columns), so a row is read by name, never by position."""
    return conn.cursor(row_factory=namedtuple_row).execute(query(area, name), params)
