"""PNG charts for the report email (matplotlib, Agg backend: no display, no GUI toolkit).

Each function writes one PNG and returns its path. Values arrive as Decimal and are
converted to float only here, for drawing.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from include.billing.private_files import make_private, private_dir  # noqa: E402
from include.billing.reports.metrics import AGING_BUCKETS, AGING_LABELS  # noqa: E402

BUCKET_COLORS = ("#2e7d32", "#9ccc65", "#fbc02d", "#f57c00", "#c62828")
INK = "#263238"
ACCENT = "#1565c0"
SIZE = (6.4, 3.2)  # inches at 100 dpi: 640 × 320 px, fits a 600–700 px email column
DPI = 100


def _figure():
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(colors=INK, labelsize=8)
    return fig, ax


def _save(fig, path: Path) -> Path:
    private_dir(path.parent)
    fig.tight_layout()
    fig.savefig(path, format="png", facecolor="white")
    plt.close(fig)
    return make_private(path)


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#78909c", fontsize=11, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _money(value, _pos=None) -> str:
    return f"${value / 1000:,.0f}k" if abs(value) >= 10_000 else f"${value:,.0f}"


def ar_aging_chart(rows: list[dict], path: Path) -> Path:
    """Payer A/R by payer, stacked by aging bucket (rows: ar_aging_by_payer)."""
    fig, ax = _figure()
    rows = sorted(rows, key=lambda r: r["total"], reverse=True)[:8]
    if not rows or not any(r["total"] for r in rows):
        _empty(ax, "No open payer A/R")
    else:
        labels = [r["label"][:18] for r in rows]
        bottoms = [0.0] * len(rows)
        for bucket, color in zip(AGING_BUCKETS, BUCKET_COLORS, strict=True):
            values = [float(r[bucket]) for r in rows]
            ax.bar(labels, values, bottom=bottoms, color=color, label=AGING_LABELS[bucket] + " days", width=0.6)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        ax.yaxis.set_major_formatter(FuncFormatter(_money))
        ax.legend(fontsize=7, frameon=False, ncols=5, loc="upper center", bbox_to_anchor=(0.5, 1.12))
        plt.setp(ax.get_xticklabels(), rotation=15, ha="right")
    ax.set_title("Payer A/R aging by payer", color=INK, fontsize=10, pad=22)
    return _save(fig, path)


def denial_reasons_chart(rows: list[dict], path: Path) -> Path:
    """Top CARC denial reasons by amount (rows: top_denial_reasons)."""
    fig, ax = _figure()
    if not rows:
        _empty(ax, "No denials in this period")
    else:
        rows = list(reversed(rows[:8]))
        labels = [f"{r['carc']} {r.get('description', '')}"[:42] for r in rows]
        values = [float(r["amount"]) for r in rows]
        bars = ax.barh(labels, values, color="#c62828", height=0.6)
        for bar, r in zip(bars, rows, strict=True):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {r['claims']} claim{'s' if r['claims'] != 1 else ''}",
                    va="center", fontsize=7, color=INK)
        ax.xaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_title("Top denial reasons (CARC), by amount", color=INK, fontsize=10)
    return _save(fig, path)


def trend_chart(points: list[dict], key: str, title: str, path: Path, *, percent: bool = False) -> Path:
    """One weekly series (trend points from compute_trends); gaps where a week has no value."""
    fig, ax = _figure()
    xs = [p["week_end"].strftime("%b %d") for p in points]
    ys = [None if p[key] is None else float(p[key]) * (100 if percent else 1) for p in points]
    if not any(y is not None for y in ys):
        _empty(ax, "No data for these weeks")
    else:
        ax.plot(xs, [float("nan") if y is None else y for y in ys], marker="o", color=ACCENT, linewidth=2)
        for x, y in zip(xs, ys, strict=True):
            if y is not None:
                ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                            fontsize=7, color=INK)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            ax.set_ylim(0, 105)
        else:
            ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#eceff1")
        ax.set_xlabel("week ending", fontsize=8, color=INK)
    ax.set_title(title, color=INK, fontsize=10)
    return _save(fig, path)


def render_charts(kpis: dict, out_dir: Path) -> dict[str, Path]:
    """All report charts; keys are the Content-IDs the HTML references (cid:<key>)."""
    out_dir = Path(out_dir)
    return {
        "ar_aging": ar_aging_chart(kpis["ar_aging_by_payer"], out_dir / "ar_aging.png"),
        "denial_reasons": denial_reasons_chart(kpis["top_denial_reasons"], out_dir / "denial_reasons.png"),
        "fpar_trend": trend_chart(kpis["trends"], "first_pass_acceptance_rate",
                                  "First-pass acceptance rate, weekly", out_dir / "fpar_trend.png", percent=True),
        "days_in_ar_trend": trend_chart(kpis["trends"], "days_in_ar", "Days in A/R at week end",
                                        out_dir / "days_in_ar_trend.png"),
    }
