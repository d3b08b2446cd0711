"""The Billing UI's asset event: a person released a corrected claim → `billing://corrections/released`.

claims_submission is scheduled on it (include/assets.py), so a released claim goes out in
the next minutes instead of waiting for the submission cron. The event is recorded in the
API server's own process, as Airflow's `POST /api/v2/assets/events` does (the asset
manager), after the release committed. The extra holds the work item id only (no PHI).

A failure here never fails the release: the claim is `ready` in the ledger, and the cron
sends it. It is logged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

log = logging.getLogger(__name__)


def record_corrections_released(work_item_id: int, user: str) -> bool:
    """Record the event; True when Airflow accepted it."""
    try:
        from airflow.assets.manager import asset_manager
        from airflow.models.asset import AssetModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        from include.assets import CORRECTIONS_RELEASED

        with create_session() as session:
            model = session.scalar(select(AssetModel).where(AssetModel.uri == CORRECTIONS_RELEASED.uri).limit(1))
            if model is None:       # no DAG schedules on it yet (never parsed): the cron sends the claim
                log.warning("billing ui: asset %s unknown to Airflow; release not signalled", CORRECTIONS_RELEASED.uri)
                return False
            event = asset_manager.register_asset_change(
                asset=model, timestamp=datetime.now(UTC), source_is_api=True, session=session,
                extra={"work_item_id": work_item_id, "released_by": user})
            return event is not None
    except Exception as exc:   # noqa: BLE001 - the release stands; the submission cron sends the claim
        log.warning("billing ui: corrections-released event not recorded (%s: %s)", type(exc).__name__, exc)
        return False
