"""Settings of the claims-submission pipeline, read from the environment when asked (never at import).

Every value has a default that works for the local sandbox; production overrides them with
environment variables (documented in the README next to each name).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class SubmissionSettings:
    eligibility_cache_days: int
    eligibility_wait_seconds: int       # batch transport: how long to wait for the 271
    max_claims_per_file: int
    sftp_inbound: str
    sftp_outbound: str
    sftp_archive: str
    submitter_id: str                   # ISA06 / GS02 / 1000A NM109
    submitter_name: str
    submitter_contact: str
    submitter_phone: str
    receiver_name: str                  # 1000B NM103; ISA08 is the trading partner id
    usage_indicator: str                # ISA15: P production, T test
    dq_results_dir: Path | None


def load() -> SubmissionSettings:
    dq = os.environ.get("BILLING_DQ_RESULTS_DIR", "").strip()
    return SubmissionSettings(
        eligibility_cache_days=_int("BILLING_ELIGIBILITY_CACHE_DAYS", 7),
        eligibility_wait_seconds=_int("BILLING_ELIGIBILITY_WAIT_SECONDS", 120),
        max_claims_per_file=_int("BILLING_MAX_CLAIMS_PER_FILE", 5000),
        sftp_inbound=os.environ.get("BILLING_SFTP_INBOUND", "inbound"),
        sftp_outbound=os.environ.get("BILLING_SFTP_OUTBOUND", "outbound"),
        sftp_archive=os.environ.get("BILLING_SFTP_ARCHIVE", "archive"),
        submitter_id=os.environ.get("BILLING_SUBMITTER_ID", "BILLINGSVC"),
        submitter_name=os.environ.get("BILLING_SUBMITTER_NAME", "REVENUE CYCLE BILLING"),
        submitter_contact=os.environ.get("BILLING_SUBMITTER_CONTACT", "BILLING OFFICE"),
        submitter_phone=os.environ.get("BILLING_SUBMITTER_PHONE", "8005551212"),
        receiver_name=os.environ.get("BILLING_RECEIVER_NAME", "CLEARINGHOUSE"),
        usage_indicator=os.environ.get("BILLING_X12_USAGE", "P"),
        dq_results_dir=Path(dq) if dq else None,
    )


WORK_DIR_VAR = "BILLING_RUN_DIR"


def work_dir(*parts: str) -> Path:
    """This worker's scratch folder (`BILLING_RUN_DIR`), or a 0700 sub-folder of it.

    The domain never guesses a folder: production sets the variable (docker-compose.yaml), and the
    dev entry points inject `.run/` (include.devenv.paths.run_dir), as the test harness does.
    """
    from include.billing.private_files import private_dir

    raw = os.environ.get(WORK_DIR_VAR, "").strip()
    if not raw:
        raise RuntimeError(f"{WORK_DIR_VAR} is not set: name this worker's scratch folder "
                           "(the dev entry points set it to .run/)")
    # the root's own mode is the deployment's (the dev run folder lets PostgreSQL's group cross it)
    return private_dir(Path(raw).joinpath(*parts)) if parts else Path(raw)


def dq_results_dir() -> Path:
    configured = load().dq_results_dir
    if configured is not None:
        from include.billing.private_files import private_dir

        return private_dir(configured)
    return work_dir("data-quality")
