"""The feedback sheet's chart of wave means as inline SVG: one small panel per scale with the
partnership (and its 95% interval), its region and all regions; a hidden wave is marked, not skipped.

Written as text rather than drawn with matplotlib: a sheet is a few dozen shapes, and a national run
makes hundreds of sheets (laying out a matplotlib figure per sheet cost most of their time).
"""

from __future__ import annotations

from html import escape

from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.translate import Translator, is_missing

WIDTH, HEIGHT = 720, 180
LEFT, GAP, TOP, PLOT_HEIGHT = 30, 12, 18, 140
LOW, HIGH = 1, 5
STYLES = {  # line: stroke colour, dash pattern
    "all": ("#8c96a0", "2 3"),
    "region": ("#5f6b78", "6 4"),
    "own": ("#1f5f99", ""),
}
BAND_COLOUR = "#1f5f99"


def panel_width(n_panels: int = len(SCALES)) -> float:
    return (WIDTH - LEFT - GAP * (n_panels - 1)) / n_panels


def waves_svg(series: dict, t: Translator, title: str) -> str:
    """`series`: line (own, region, all) -> scale -> wave-ordered points (wave, mean, low, high, hidden);
    a hidden own point is marked with the suppression sign."""
    waves = sorted({p["wave"] for by_scale in series.values() for points in by_scale.values() for p in points})
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="sheet-chart" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
    ]
    for i, scale in enumerate(SCALES):
        x0 = LEFT + i * (panel_width() + GAP)
        lines = {line: by_scale.get(scale, []) for line, by_scale in series.items()}
        parts.append(_panel(x0, scale, waves, lines, t, first=(i == 0)))
    parts.append("</svg>")
    return "".join(parts)


def _x(x0: float, wave: int, waves: list[int]) -> float:
    lo, hi = waves[0] - 0.4, waves[-1] + 0.4
    return x0 + (wave - lo) / (hi - lo) * panel_width()


def _y(value: float) -> float:
    return TOP + (HIGH - value) / (HIGH - LOW) * PLOT_HEIGHT


def _panel(x0, scale, waves, lines: dict, t: Translator, first: bool) -> str:
    w = panel_width()
    out = [
        f'<g class="panel" data-scale="{scale}">',
        f'<text x="{x0 + w / 2:.1f}" y="{TOP - 6}" font-size="11" text-anchor="middle">{scale}</text>',
    ]
    for v in range(LOW, HIGH + 1):
        y = _y(v)
        out.append(f'<line x1="{x0:.1f}" x2="{x0 + w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6e6"/>')
        if first:
            out.append(
                f'<text x="{x0 - 6:.1f}" y="{y + 3.5:.1f}" font-size="10" text-anchor="end">{t.num(v, 0)}</text>'
            )
    for wave in waves:
        out.append(
            f'<text x="{_x(x0, wave, waves):.1f}" y="{TOP + PLOT_HEIGHT + 14}" font-size="10" '
            f'text-anchor="middle">\u2019{wave % 100:02d}</text>'
        )
    own = lines.get("own", [])
    out += _band(x0, own, waves)
    for line in ("all", "region", "own"):
        out += _polylines(x0, lines.get(line, []), waves, line)
    out += _own_points(x0, own, waves, t, scale)
    out.append("</g>")
    return "".join(out)


def _runs(points: list[dict], key: str = "mean") -> list[list[dict]]:
    """Consecutive waves with a value: a line is broken where a wave is hidden or was not surveyed."""
    runs, current, previous = [], [], None
    for p in points:
        present = not (p["hidden"] or is_missing(p[key]))
        if present and (previous is None or current):
            current.append(p)
        elif present:
            current = [p]
        else:
            if current:
                runs.append(current)
            current = []
        previous = p
    if current:
        runs.append(current)
    return runs


def _polylines(x0, points, waves, line) -> list[str]:
    colour, dash = STYLES[line]
    width = 2.2 if line == "own" else 1.6
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = []
    for run in _runs(points):
        coords = " ".join(f"{_x(x0, p['wave'], waves):.1f},{_y(p['mean']):.1f}" for p in run)
        out.append(
            f'<polyline class="line-{line}" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dash_attr}/>'
        )
    return out


def _band(x0, own, waves) -> list[str]:
    out = []
    for run in _runs(own, "low"):
        xs = [_x(x0, p["wave"], waves) for p in run]
        if len(run) == 1:  # one wave: an error bar
            out.append(
                f'<line class="band" x1="{xs[0]:.1f}" x2="{xs[0]:.1f}" y1="{_y(run[0]["low"]):.1f}" '
                f'y2="{_y(run[0]["high"]):.1f}" stroke="{BAND_COLOUR}" stroke-opacity="0.35" stroke-width="6"/>'
            )
            continue
        upper = [f"{x:.1f},{_y(p['high']):.1f}" for x, p in zip(xs, run)]
        lower = [f"{x:.1f},{_y(p['low']):.1f}" for x, p in zip(xs[::-1], run[::-1])]
        out.append(
            f'<polygon class="band" points="{" ".join(upper + lower)}" fill="{BAND_COLOUR}" fill-opacity="0.15"/>'
        )
    return out


def _own_points(x0, own, waves, t: Translator, scale) -> list[str]:
    out = []
    for p in own:
        x = _x(x0, p["wave"], waves)
        if p["hidden"]:
            label = escape(t("sheet.hidden_point", scale=scale, wave=p["wave"]))
            out.append(
                f'<text class="suppressed" x="{x:.1f}" y="{_y(LOW) - 4:.1f}" font-size="12" '
                f'text-anchor="middle" fill="#5f6b78"><title>{label}</title>{t("table.suppressed_cell")}</text>'
            )
        elif not is_missing(p["mean"]):
            label = escape(f"{scale} {p['wave']}: {t.num(p['mean'])}")
            out.append(
                f'<circle class="point-own" cx="{x:.1f}" cy="{_y(p["mean"]):.1f}" r="3" '
                f'fill="{STYLES["own"][0]}" data-wave="{p["wave"]}" data-mean="{p["mean"]:.6f}">'
                f"<title>{label}</title></circle>"
            )
    return out


def legend(labels: dict, any_hidden: bool, t: Translator, band: str | None = None) -> list[dict]:
    """The chart's key, as (swatch SVG, label) for the page: HTML wraps where a long region name needs it."""
    entries = [(line, labels[line]) for line in ("own", "region", "all") if line in labels]
    entries.append(("band", band or t("sheet.band")))
    if any_hidden:
        entries.append(("hidden", t("sheet.hidden_legend")))
    return [{"swatch": _swatch(key, t), "label": label} for key, label in entries]


def _swatch(key: str, t: Translator) -> str:
    head = '<svg viewBox="0 0 24 12" width="24" height="12" aria-hidden="true">'
    if key == "band":
        body = f'<rect x="1" y="2" width="22" height="8" fill="{BAND_COLOUR}" fill-opacity="0.15"/>'
    elif key == "hidden":
        body = f'<text x="12" y="10" font-size="11" text-anchor="middle" fill="#5f6b78">{t("table.suppressed_cell")}</text>'
    else:
        colour, dash = STYLES[key]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body = f'<line x1="1" x2="23" y1="6" y2="6" stroke="{colour}" stroke-width="2"{dash_attr}/>'
    return head + body + "</svg>"
