"""Build, send and archive the billing report (no Airflow here; the DAG wires these).

    compute_report(conn, as_of, period, work_dir) -> Path      numbers + detail rows (state file)
    render_report(state_path, out_dir) -> ReportBundle         charts, HTML, CSV/XLSX, kpis.json
    build_report(conn, as_of, period, out_dir) -> ReportBundle both, for the demo and tests
    archive_report(bundle, reports_dir) -> Path                copy into <reports_dir>/<as_of>/

Periods: 'daily' covers the as_of day and adds a weekly section when as_of is a Sunday (the
Monday run) and a month section when as_of is the last day of its month; 'weekly' and
'month_end' make a report of just that window (7 days ending as_of / the month to as_of).
"""

from __future__ import annotations

import calendar
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from include.billing.private_files import make_private, private_dir, write_private
from include.billing.reports import charts, render
from include.billing.reports.aggregate import aggregate_details, ui_links
from include.billing.reports.metrics import AGING_BUCKETS, PROCESSING_MEASURES, compute_kpis, headline, jsonable
from include.billing.reports.queries import run_metric

PERIODS = ("daily", "weekly", "month_end")
TITLES = {"daily": "Daily billing report", "weekly": "Weekly billing summary", "month_end": "Month-end billing summary"}
PROCESSING_LABELS = {"completed_to_submitted": "Visit completed → claim submitted",
                     "submitted_to_accepted": "Submitted → accepted by payer (277CA)",
                     "submitted_to_paid": "Submitted → paid (835)"}


def period_window(period: str, as_of: date) -> tuple[date, date]:
    if period == "daily":
        return as_of, as_of
    if period == "weekly":
        return as_of - timedelta(days=6), as_of
    if period == "month_end":
        return as_of.replace(day=1), as_of
    raise ValueError(f"unknown report period {period!r}: use one of {', '.join(PERIODS)}")


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def resolve_sections(period: str, as_of: date) -> dict[str, tuple[date, date]]:
    """The report's windows, main one first (see module docstring)."""
    sections = {period: period_window(period, as_of)}
    if period == "daily":
        if as_of.weekday() == 6:
            sections["weekly"] = period_window("weekly", as_of)
        if is_month_end(as_of):
            sections["month_end"] = period_window("month_end", as_of)
    return sections


# --- state file: the numbers with their types, between the DAG's tasks -------------------

def _encode(value):
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in the report state")


def _decode(obj: dict):
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "$decimal":
            return Decimal(value)
        if key == "$datetime":
            return datetime.fromisoformat(value)
        if key == "$date":
            return date.fromisoformat(value)
    return obj


def compute_report(conn, as_of: date, period: str, work_dir: Path, *, trend_weeks: int = 8) -> Path:
    """Every number and detail row of the report, written to <work_dir>/state.json (0600)."""
    sections = resolve_sections(period, as_of)
    (main, (start, end)), *extra = sections.items()
    kpis = compute_kpis(conn, start, end, as_of, trend_weeks=trend_weeks)
    state = {
        "period": period, "as_of": as_of, "kpis": kpis,
        "sections": {name: compute_kpis(conn, s, e, as_of, trend_weeks=0, point_in_time=False)
                     for name, (s, e) in extra},
        # aggregated here: no claim-level row reaches the state file, the e-mail or its attachments
        "details": aggregate_details(run_metric(conn, "claim_detail", as_of=as_of),
                                     run_metric(conn, "denials_awaiting_review", as_of=as_of),
                                     kpis["payment_postings_by_payer"]),
        "generated_at": datetime.now(UTC).replace(microsecond=0),
    }
    work_dir = Path(work_dir)
    private_dir(work_dir)
    path = work_dir / "state.json"
    tmp = path.with_suffix(".tmp")
    write_private(tmp, json.dumps(state, default=_encode))
    tmp.replace(path)
    return path


def load_state(path: Path) -> dict:
    return json.loads(Path(path).read_text(), object_hook=_decode)


# --- the bundle ---------------------------------------------------------------------------

@dataclass
class ReportBundle:
    as_of: date
    period: str
    out_dir: Path
    subject: str
    html_path: Path
    json_path: Path
    charts: dict[str, Path] = field(default_factory=dict)      # Content-ID -> PNG
    attachments: list[Path] = field(default_factory=list)      # CSV / XLSX
    kpis: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)                  # detail rows per attachment

    @property
    def manifest_path(self) -> Path:
        return Path(self.out_dir) / "manifest.json"

    def files(self) -> list[Path]:
        return [self.html_path, self.json_path, self.manifest_path, *self.charts.values(), *self.attachments]

    def text_summary(self) -> str:
        h = headline(self.kpis)
        pct = render.pct
        return "\n".join([
            self.subject, "",
            f"Claims submitted: {h['claims_submitted']}   processed: {h['claims_processed']}",
            f"First-pass acceptance: {pct(h['first_pass_acceptance_rate'])}   clean claims: {pct(h['clean_claim_rate'])}",
            f"Denial rate: {pct(h['denial_rate_count'])}   net collection rate: {pct(h['net_collection_rate'])}",
            f"Total A/R: {render.money(h['total_ar'])}   days in A/R: {render.num(h['days_in_ar'], 1)}",
            f"Open work items: {h['work_queue_open']}",
            "", "The full report is the HTML part of this message; details are attached.",
        ])

    def write_manifest(self) -> Path:
        data = {"as_of": self.as_of.isoformat(), "period": self.period, "subject": self.subject,
                "html": self.html_path.name, "json": self.json_path.name,
                "charts": {k: Path(v).name for k, v in self.charts.items()},
                "attachments": [Path(p).name for p in self.attachments], "counts": self.counts}
        write_private(self.manifest_path, json.dumps(data, indent=2))
        return self.manifest_path

    @classmethod
    def load(cls, manifest_path: Path) -> ReportBundle:
        """Re-open a rendered report from its manifest (the DAG's send/archive tasks)."""
        manifest_path = Path(manifest_path)
        out = manifest_path.parent
        m = json.loads(manifest_path.read_text())
        kpis = json.loads((out / m["json"]).read_text())["kpis"]
        return cls(as_of=date.fromisoformat(m["as_of"]), period=m["period"], out_dir=out, subject=m["subject"],
                   html_path=out / m["html"], json_path=out / m["json"],
                   charts={k: out / v for k, v in m["charts"].items()},
                   attachments=[out / a for a in m["attachments"]], kpis=kpis, counts=m["counts"])

    def to_xcom(self) -> dict:
        """Paths and counts only: no PHI, no figures beyond counts."""
        return {"manifest": str(self.manifest_path), "as_of": self.as_of.isoformat(), "period": self.period,
                "files": len(self.files()), **self.counts}


def _tiles(k: dict) -> list[tuple[str, str, str]]:
    pct, money, num = render.pct, render.money, render.num
    return [
        ("Claims submitted", num(k["claims_submitted"]), f"{money(k['charges_submitted'])} charges"),
        ("Claims processed", num(k["claims_processed"]), f"{k['claims_denied']} denied"),
        ("First-pass acceptance", pct(k["first_pass_acceptance_rate"]),
         f"{k['first_pass_accepted']} of {k['first_pass_submitted']} first submissions"
         + (f" · {k['first_pass_awaiting_response']} awaiting answer" if k["first_pass_awaiting_response"] else "")),
        ("Clean-claim rate", pct(k["clean_claim_rate"]), f"{k['clean_claims']} of {k['claims_scrubbed']} through the edits"),
        ("Denial rate", pct(k["denial_rate_count"]), f"{pct(k['denial_rate_dollars'])} of charges"),
        ("Days in A/R", num(k["days_in_ar"], 1), f"{money(k['average_daily_charges'])} per day"),
        ("Total A/R", money(k["total_ar"]), f"payer {money(k['payer_ar'])} · patient {money(k['patient_ar'])}"),
        ("Net collection rate", pct(k["net_collection_rate"]), f"gross {pct(k['gross_collection_rate'])}"),
    ]


def render_report(state_path: Path, out_dir: Path) -> ReportBundle:
    """Charts, HTML, attachments, kpis.json and manifest.json in `out_dir`."""
    state = load_state(state_path)
    out_dir = private_dir(out_dir)
    as_of, period, kpis = state["as_of"], state["period"], state["kpis"]
    stem = f"billing-report-{period}-{as_of.isoformat()}"
    subject = f"{TITLES[period]} · {as_of:%a %d %b %Y}"
    chart_paths = charts.render_charts(kpis, out_dir)
    attachments = render.write_attachments(state["details"], out_dir, stem)
    html = render.render_html({
        "subject": subject, "title": f"{TITLES[period]} — {as_of:%A %d %B %Y}", "kpis": kpis,
        "practice": os.environ.get("BILLING_PRACTICE_NAME", "Revenue cycle"),
        "tiles": _tiles(kpis), "buckets": AGING_BUCKETS,
        "processing_labels": [(m, PROCESSING_LABELS[m]) for m in PROCESSING_MEASURES],
        "details": state["details"], "links": ui_links(state["details"]), "sections": state["sections"],
        "attachments": [p.name for p in attachments], "generated_at": f"{state['generated_at']:%Y-%m-%d %H:%M} UTC",
    })
    html_path = out_dir / f"{stem}.html"
    write_private(html_path, html)
    json_path = out_dir / f"{stem}.json"
    write_private(json_path, json.dumps(jsonable({"period": period, "as_of": as_of, "kpis": kpis,
                                              "sections": state["sections"]}), indent=1))
    bundle = ReportBundle(as_of=as_of, period=period, out_dir=out_dir, subject=subject, html_path=html_path,
                          json_path=json_path, charts=chart_paths, attachments=attachments, kpis=kpis,
                          counts={f"{k}_rows": len(v) for k, v in state["details"].items()})
    bundle.write_manifest()
    return bundle


def build_report(conn, as_of: date, period: str, out_dir: Path) -> ReportBundle:
    """Compute and render the report into `out_dir` (used by `make demo` and tests)."""
    out_dir = Path(out_dir)
    state = compute_report(conn, as_of, period, out_dir / ".work")
    bundle = render_report(state, out_dir)
    shutil.rmtree(out_dir / ".work", ignore_errors=True)
    return bundle


def archive_rendered(rendered: dict, reports_dir: Path) -> Path:
    """Archive the report a render step produced (its XCom: manifest, as_of, period), then remove
    the run's work folder. Safe to repeat: when an earlier try archived the report, removed the
    work folder and died before reporting success, the archive is found and returned."""
    manifest = Path(rendered["manifest"])
    target = Path(reports_dir) / rendered["as_of"]
    if not manifest.exists():
        if (target / f"manifest-{rendered['period']}.json").exists():
            return target
        raise FileNotFoundError(f"report work folder {manifest.parent} is gone and {target} holds no "
                                f"{rendered['period']} report: render the report again")
    bundle = ReportBundle.load(manifest)
    target = archive_report(bundle, reports_dir)
    shutil.rmtree(bundle.out_dir.parent, ignore_errors=True)   # the run's work folder
    return target


def archive_report(bundle: ReportBundle, reports_dir: Path) -> Path:
    """Copy the report's files into <reports_dir>/<as_of>/ (re-running overwrites, never duplicates)."""
    target = Path(reports_dir) / bundle.as_of.isoformat()
    private_dir(target)
    for path in bundle.files():
        path = Path(path)
        if path.parent.resolve() != target.resolve():
            dest = target / (path.name if path.name != "manifest.json" else f"manifest-{bundle.period}.json")
            shutil.copy2(path, dest)
            make_private(dest)
    return target
