"""The dashboard's KPIs, computed by the report code and kept for a few minutes.

`compute_kpis` runs the report's named queries over the whole ledger (2–6 s for 100,000
claims); the figures are period totals that a few minutes do not change. So a page never
waits for them: the first request starts a background computation and shows the rest of the
dashboard at once (the page reloads itself until the figures are there); later requests get
the kept figures, and a request after `ttl` seconds gets them while a background thread
recomputes (stale while revalidate). The page says when the figures were computed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)


class KpiCache:
    def __init__(self, ttl: float = 300.0, max_entries: int = 32):
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[float, datetime, Any]] = OrderedDict()
        self._refreshing: set[tuple] = set()
        self._errors: dict[tuple, str] = {}

    def get(self, key: tuple, compute: Callable[[], Any]) -> tuple[Any | None, datetime | None]:
        """(value, computed_at), or (None, None) while the first computation runs.

        `compute` opens its own connection: it runs in a background thread.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            if (entry is None or time.monotonic() - entry[0] >= self.ttl) and key not in self._refreshing:
                self._refreshing.add(key)
                threading.Thread(target=self._refresh, args=(key, compute), daemon=True,
                                 name="billing-kpi-refresh").start()
        return (entry[2], entry[1]) if entry is not None else (None, None)

    def error(self, key: tuple) -> str | None:
        with self._lock:
            return self._errors.get(key)

    def _put(self, key: tuple, value: Any) -> datetime:
        at = datetime.now(timezone.utc)
        with self._lock:
            self._entries[key] = (time.monotonic(), at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return at

    def _refresh(self, key: tuple, compute: Callable[[], Any]) -> None:
        try:
            self._put(key, compute())
            with self._lock:
                self._errors.pop(key, None)
        except Exception as exc:   # keep serving the older figures; the next request tries again
            log.exception("billing dashboard: computing the KPIs failed")
            with self._lock:
                self._errors[key] = type(exc).__name__
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
