"""Named SQL for the response, posting and denial areas: include/sql/queries/<area>/<name>.sql.

Queries are plain files with `%(name)s` parameters, read once and cached; nothing is built
from strings at run time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parents[1] / "sql" / "queries"


@lru_cache(maxsize=None)
def query(area: str, name: str) -> str:
    path = QUERIES_DIR / area / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LookupError(f"named query {area}/{name} not found at {path}") from exc
