"""Billing reports: revenue-cycle KPIs, A/R aging, charts, the HTML email and its attachments.

Public API:
    compute_kpis(conn, period_start, period_end, as_of) -> dict
    load_query(name) / run_metric(conn, name, **params) -> list[dict]
    build_report(conn, as_of, period, out_dir) -> ReportBundle
    mailer.build_message / mailer.smtp_client / mailer.deliver: the email (the DAG sends it)
"""

from include.billing.reports.metrics import compute_kpis, compute_trends
from include.billing.reports.queries import load_query, run_metric
from include.billing.reports.report import (
                                            ReportBundle,
                                            archive_rendered,
                                            archive_report,
                                            build_report,
                                            compute_report,
                                            render_report,
                                            resolve_sections,
)

__all__ = ["ReportBundle", "archive_rendered", "archive_report", "build_report", "compute_kpis", "compute_report",
           "compute_trends", "load_query", "render_report", "resolve_sections", "run_metric"]
