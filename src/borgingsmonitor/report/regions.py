"""One report per region for its coordinator: the region against all regions over the waves, and each
of its partnerships in their latest wave.

Built from the same protected cells as descriptives.csv, the annual report and the sheets
(`SheetData`), so a region report can show nothing that another output hides, and nothing
subtracted from it gives a small group away. The region's intervals allow for respondents
clustering in partnerships (as Figure 1 does); the statistical models stay national (the annual report).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from borgingsmonitor.core.disclosure import ALL
from borgingsmonitor.core.paths import output_path
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.html import environment, stylesheet, write_text
from borgingsmonitor.report.intervals import clustered_mean_ci
from borgingsmonitor.report.names import region_label
from borgingsmonitor.report.sheet_chart import legend, waves_svg
from borgingsmonitor.report.sheets import (
    SheetData,
    eligible_partnerships,
    is_blank,
    point_at,
    published_counts,
    published_partnerships,
    shown_mean,
)
from borgingsmonitor.report.translate import Translator


def wave_frames(responses: pd.DataFrame) -> dict[str, dict[int, pd.DataFrame]]:
    """Each region's respondents per wave (partnership and scales), split once for all regions."""
    columns = ["partnership_id", *(s for s in SCALES if s in responses)]
    out: dict = {}
    for (region, wave), part in responses.groupby(["region", "wave"], observed=True, sort=False)[columns]:
        out.setdefault(str(region), {})[int(wave)] = part
    return out


def region_points(waves: dict[int, pd.DataFrame], shared: SheetData, region: str) -> dict[str, list[dict]]:
    """The region's published wave points, with intervals clustered by partnership (`waves`: the
    region's respondents per wave)."""
    out = {}
    for scale, points in shared.series("region", region).items():
        out[scale] = []
        for p in points:
            low = high = float("nan")
            if not p["hidden"]:
                wave = waves[p["wave"]]
                _, low, high = clustered_mean_ci(wave[scale], wave["partnership_id"])
            out[scale].append({**p, "low": low, "high": high, "half": (high - low) / 2})
    return out


def partnership_rows(shared: SheetData, region: str, with_sheet: set, partnership_names: dict, t: Translator) -> list:
    rows = []
    for pid in sorted(p for p, r in shared.region.items() if r == region):
        wave = shared.latest[pid]
        series = shared.series("partnership", pid)
        means = [
            t.num(m) if (m := shown_mean(point_at(series.get(scale, []), wave))) is not None else None
            for scale in SCALES
        ]
        rows.append(
            {
                "pid": pid,
                "name": partnership_names.get(pid, pid),
                "wave": wave,
                "n": shared.counts(pid).get(wave),
                "means": means,
                "sheet": pid in with_sheet,
            }
        )
    return rows


def region_context(
    region: str,
    waves: dict[int, pd.DataFrame],
    shared: SheetData,
    t: Translator,
    names: dict,
    partnership_names: dict,
    with_sheet: set,
    min_group_size: int,
) -> dict:
    name = region_label(region, names)
    own = region_points(waves, shared, region)
    everyone = shared.series(ALL)
    counts = published_counts(own)
    wave = max(counts) if counts else None
    rows = []
    for scale in SCALES:
        here = point_at(own.get(scale, []), wave)
        there = shown_mean(point_at(everyone.get(scale, []), wave))
        rows.append(
            {
                "scale": f"{t.scale(scale)} ({scale})",
                "own": None if is_blank(here) else t.num(here["mean"]),
                "ci": None if is_blank(here) else t.ci(here["low"], here["high"]),
                "all": None if there is None else t.num(there),
            }
        )
    labels = {"own": t("region_report.region", region=name), "all": t("sheet.all")}
    series = {"all": everyone, "own": own}
    hidden = any(p["hidden"] for points in own.values() for p in points)
    return {
        "slug": region,
        "name": name,
        "wave": wave,
        "rows": rows,
        "min": min_group_size,
        "counts": [{"wave": w, "n": c} for w, c in counts.items()],
        "chart": waves_svg(series, t, t("sheet.over_waves")),
        "legend": legend(labels, hidden, t, band=t("region_report.band")),
        "partnerships": partnership_rows(shared, region, with_sheet, partnership_names, t),
    }


def write_region_reports(
    responses, registry, questionnaire, out_dir, t: Translator, min_group_size: int, names: dict
) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    partnership_names = dict(zip(registry["partnership_id"], registry["name"]))
    shared = SheetData(responses, questionnaire, min_group_size)
    with_sheet = set(published_partnerships(eligible_partnerships(responses, min_group_size), shared)["partnership_id"])
    env = environment()
    template, css = env.get_template("region.html.j2"), stylesheet()
    written = []
    by_region = wave_frames(responses)
    for region in sorted(responses["region"].astype(str).unique()):
        waves = by_region.get(region, {})
        ctx = region_context(region, waves, shared, t, names, partnership_names, with_sheet, min_group_size)
        path = output_path(out_dir, f"{region}.html")
        write_text(template.render(r=ctx, t=t, css=css, lang=t.language, scales=SCALES), path)
        written.append(path)
    return written
