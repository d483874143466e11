"""`{% support_dashboard %}`: the support dashboard on the admin's landing page (see `integrations_core.dashboard`)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from .. import dashboard

register = template.Library()

# The chart's geometry (an inline SVG: no script, no CDN).
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 560, 160, 4
COLOURS = ("#ba2121", "#e67e22", "#8e44ad", "#2980b9", "#16a085", "#7f8c8d", "#c0392b", "#d35400", "#2c3e50",
           "#27ae60", "#f39c12", "#34495e")


def _chart(history: dict) -> dict:
    """Stacked bars, one per day, one colour per category, each bar segment linking to its list."""
    days = history["days"]
    width = (CHART_WIDTH - BAR_GAP * len(days)) / max(1, len(days))
    top = max(1, history["max"])
    bars = []
    for i, day in enumerate(days):
        x, y = i * (width + BAR_GAP), CHART_HEIGHT
        segments = []
        for k, series in enumerate(history["series"]):
            n = series["counts"][i]
            if not n:
                continue
            h = CHART_HEIGHT * n / top
            y -= h
            segments.append({"x": round(x, 1), "y": round(y, 1), "w": round(width, 1), "h": round(h, 1), "n": n,
                             "label": series["label"], "colour": COLOURS[k % len(COLOURS)], "url": series["url"]})
        bars.append({"day": day, "x": round(x + width / 2, 1), "top": round(y, 1), "segments": segments,
                     "total": history["totals"][i]})
    legend = [{"label": s["label"], "colour": COLOURS[k % len(COLOURS)], "total": sum(s["counts"]), "url": s["url"]}
              for k, s in enumerate(history["series"])]
    return {"bars": bars, "legend": legend, "width": CHART_WIDTH, "height": CHART_HEIGHT, "max": history["max"]}


@register.inclusion_tag("integrations_core/dashboard.html")
def support_dashboard():
    history = dashboard.failures_by_day()
    return {
        "states": dashboard.syncs_by_state(),
        "categories": dashboard.failing_by_category(),
        "chart": _chart(history),
        "days": dashboard.HISTORY_DAYS,
        "suppliers": dashboard.suppliers_failing(),
        "connections": dashboard.connections_needing_attention(),
        "backlogs": dashboard.backlogs(),
        "runs": dashboard.runs_in_progress(),
        "budgets": dashboard.budgets(),
        "progress_url": reverse("admin:integrations_core_resyncrun_progress"),
        "runs_url": reverse("admin:integrations_core_resyncrun_changelist"),
    }
