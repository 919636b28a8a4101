"""One-page feedback sheets per partnership: its scales against its region and all regions.

A partnership gets a sheet when its latest wave has at least `min_group_size` respondents; the
sheet describes that wave (a sheet should show the present, not a stale year). Every number on it
passes the small-cell rule; no comment, respondent key or individual answer is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from borgingsmonitor.core.disclosure import ALL, is_small, protected_cells
from borgingsmonitor.core.paths import output_path
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.html import environment, stylesheet, write_text
from borgingsmonitor.report.intervals import t_quantile
from borgingsmonitor.report.names import region_label
from borgingsmonitor.report.sheet_chart import legend, waves_svg
from borgingsmonitor.report.translate import Translator

SHEET_COLUMNS = ["partnership_id", "region", "wave", *SCALES]  # with the items, nothing else reaches a sheet
MARGINS = ("role", "org_type")  # published beside the cells (descriptives.csv), so protected with them
N_ITEMS_SHOWN = 3


def sheet_columns(questionnaire) -> list[str]:
    """The columns the sheets and the region reports read."""
    return [*SHEET_COLUMNS, *MARGINS, *questionnaire.item_codes]


def eligible_partnerships(responses: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """partnership_id, region, latest wave and its n, for partnerships large enough in their latest wave."""
    counts = responses.groupby(["partnership_id", "region", "wave"], observed=True).size().rename("n").reset_index()
    latest = counts.sort_values(["partnership_id", "wave"]).groupby("partnership_id", observed=True).tail(1)
    latest = latest[~is_small(latest["n"], min_group_size)]
    return latest.sort_values("partnership_id").reset_index(drop=True)


def published_partnerships(eligible: pd.DataFrame, shared: SheetData) -> pd.DataFrame:
    """Drops a partnership whose latest wave is hidden on every scale (secondary suppression can hide a
    large group so that a small one next to it cannot be recovered): its sheet would show nothing."""
    keep = [shared.counts(str(p)).get(int(w)) is not None for p, w in zip(eligible["partnership_id"], eligible["wave"])]
    return eligible[keep].reset_index(drop=True)


ITEM_COLUMNS = ["item", "scale", "reverse", "n", "mean"]


def item_scores(responses: pd.DataFrame, questionnaire, min_group_size: int) -> pd.DataFrame:
    """Mean per item with reverse-keyed items reversed (higher is always better); small items dropped."""
    scores = _item_stats(responses.assign(_all=0), questionnaire, ["_all"])
    return pd.DataFrame(_item_rows(scores, 0, questionnaire, min_group_size), columns=ITEM_COLUMNS)


def _item_stats(responses: pd.DataFrame, questionnaire, by: list[str]) -> pd.DataFrame:
    """Per group: count and mean of every item, reverse-keyed items reversed (columns (item, count|mean))."""
    values = responses[questionnaire.item_codes].apply(pd.to_numeric, errors="coerce").astype(float)
    reverse = [i.code for i in questionnaire.items if i.reverse]
    values[reverse] = 6 - values[reverse]
    return values.groupby([responses[c] for c in by], sort=True, observed=True).agg(["count", "mean"])


def _item_rows(stats_: pd.DataFrame, key, questionnaire, min_group_size: int) -> list[dict]:
    row = dict(zip(stats_.columns, stats_.loc[key].to_numpy()))
    return [
        dict(zip(ITEM_COLUMNS, (i.code, i.scale, i.reverse, int(row[i.code, "count"]), float(row[i.code, "mean"]))))
        for i in questionnaire.items
        if not is_small(row[i.code, "count"], min_group_size)
    ]


def strongest_weakest(scores, k: int = N_ITEMS_SHOWN) -> tuple[list[dict], list[dict]]:
    """The k highest and k lowest items (ties by item code), never the same item in both."""
    rows = scores.to_dict("records") if isinstance(scores, pd.DataFrame) else list(scores)
    ordered = sorted(rows, key=lambda r: (-r["mean"], r["item"]))
    k = min(k, len(ordered) // 2)
    return ordered[:k], ordered[len(ordered) - k :][::-1]


CAUTION_BELOW = 10  # a sheet resting on fewer respondents in its wave says in words how uncertain it is
INTERVAL_LEVEL = 0.95


class SheetData:
    """Everything the sheets show, computed once for all partnerships from the protected cells (the same
    cells as descriptives.csv and the report, so no two outputs can be subtracted): per geography and
    scale its published wave points, and each partnership's latest-wave item means. A sheet then only
    looks things up (filtering a national table per sheet would dominate the run)."""

    def __init__(self, responses: pd.DataFrame, questionnaire, min_group_size: int):
        keep = [c for c in sheet_columns(questionnaire) if c in responses]
        responses = responses[keep] if len(keep) < responses.shape[1] else responses
        self.cells = protected_cells(responses, [s for s in SCALES if s in responses], min_group_size, MARGINS)
        self.points = _points(self.cells)
        firsts = responses.drop_duplicates("partnership_id")
        self.region = dict(zip(firsts["partnership_id"].astype(str), firsts["region"].astype(str)))
        waves = responses.groupby("partnership_id", observed=True)["wave"]
        self.latest = {str(p): int(w) for p, w in waves.max().items()}
        latest = responses[responses["wave"] == waves.transform("max")]
        self.items = _item_stats(latest, questionnaire, ["partnership_id"])
        self.items.index = self.items.index.astype(str)

    def series(self, geo_type: str, geo: str = ALL) -> dict[str, list[dict]]:
        return self.points.get((geo_type, geo), {})

    def counts(self, pid: str) -> dict[int, int | None]:
        return published_counts(self.series("partnership", pid))


def published_counts(series: dict[str, list[dict]]) -> dict[int, int | None]:
    """Respondents per wave as published: the largest n over the scales, None when every scale is hidden."""
    out: dict[int, int | None] = {}
    for points in series.values():
        for p in points:
            shown = None if p["hidden"] else int(p["n"])
            out[p["wave"]] = shown if out.get(p["wave"]) is None else max(out[p["wave"]], shown or 0)
    return dict(sorted(out.items()))


def _points(cells: pd.DataFrame) -> dict:
    """(geo_type, geo) -> scale -> wave-ordered points: wave, n, mean, low, high, half, hidden. The t
    interval of each published mean is computed for all cells at once."""
    waves = cells[cells["wave"] != ALL].copy()
    waves["wave"] = waves["wave"].astype(int)
    n, sd, mean = (waves[c].astype(float).to_numpy(na_value=np.nan) for c in ("n", "sd", "mean"))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t_quantile(0.5 + INTERVAL_LEVEL / 2, n - 1) * sd / np.sqrt(n)
    waves = waves.assign(
        mean=mean, n=n, half=half, low=np.clip(mean - half, 1.0, None), high=np.clip(mean + half, None, 5.0)
    )
    out: dict = {}
    for r in waves.sort_values(["geo_type", "geo", "scale", "wave"], kind="mergesort").itertuples(index=False):
        out.setdefault((r.geo_type, r.geo), {}).setdefault(r.scale, []).append(
            {
                "wave": r.wave,
                "n": r.n,
                "mean": r.mean,
                "low": r.low,
                "high": r.high,
                "half": r.half,
                "hidden": bool(r.suppressed),
            }
        )
    return out


def sheet_context(
    pid: str,
    responses: pd.DataFrame,
    questionnaire,
    t: Translator,
    min_group_size: int,
    names: dict,
    partnership_names: dict,
    shared: SheetData | None = None,
) -> dict:
    shared = shared or SheetData(responses, questionnaire, min_group_size)
    pid = str(pid)
    region, wave = shared.region[pid], shared.latest[pid]
    own, reg, everyone = shared.series("partnership", pid), shared.series("region", region), shared.series(ALL)
    now = {scale: point_at(own.get(scale, []), wave) for scale in SCALES}
    rows = [
        {
            "scale": f"{t.scale(scale)} ({scale})",
            "own": None if is_blank(now[scale]) else t.num(now[scale]["mean"]),
            "margin": None if is_blank(now[scale]) else t.num(now[scale]["half"]),
            "region": t.num(shown_mean(point_at(reg.get(scale, []), wave))),
            "all": t.num(shown_mean(point_at(everyone.get(scale, []), wave))),
        }
        for scale in SCALES
    ]
    best, worst = strongest_weakest(_item_rows(shared.items, pid, questionnaire, min_group_size))

    def items(rows):
        return [{"text": t.item(r["item"]), "reverse": bool(r["reverse"]), "mean": t.num(r["mean"], 1)} for r in rows]

    region_name = region_label(region, names)
    labels = {"own": t("sheet.own"), "region": t("sheet.region", region=region_name), "all": t("sheet.all")}
    series = {"all": everyone, "region": reg, "own": own}
    counts = shared.counts(pid)
    n_now = counts.get(wave)
    margins = [p["half"] for p in now.values() if not is_blank(p)]
    caution = (
        t("sheet.caution", n=n_now, margin=t.num(max(margins)), below=CAUTION_BELOW)
        if n_now is not None and n_now < CAUTION_BELOW and margins
        else None
    )
    return {
        "pid": pid,
        "name": partnership_names.get(pid, pid),
        "region": region_name,
        "wave": wave,
        "n": n_now,
        "rows": rows,
        "strongest": items(best),
        "weakest": items(worst),
        "chart": waves_svg(series, t, t("sheet.over_waves")),
        "legend": legend(labels, any(p["hidden"] for points in own.values() for p in points), t),
        "counts": [{"wave": w, "n": c} for w, c in counts.items()],
        "caution": caution,
        "min": min_group_size,
        "series": series,  # the chart's data; `waves_lines` makes it a table
        "labels": labels,
    }


def point_at(points: list[dict], wave: int) -> dict | None:
    return next((p for p in points if p["wave"] == wave), None)


def is_blank(point: dict | None) -> bool:
    return point is None or point["hidden"]


def shown_mean(point: dict | None) -> float | None:
    return None if is_blank(point) else point["mean"]


LINE_COLUMNS = ["line", "label", "scale", "wave", "mean", "low", "high", "hidden"]


def waves_lines(series: dict, labels: dict) -> pd.DataFrame:
    """The chart's data as a table: line (all, region, own), label, scale, wave, mean, low, high (the own
    line's interval), hidden (an own wave whose numbers are secret); small groups are already blank."""
    records = [
        (
            line,
            labels[line],
            scale,
            p["wave"],
            p["mean"],
            p["low"] if line == "own" else np.nan,
            p["high"] if line == "own" else np.nan,
            p["hidden"] and line == "own",
        )
        for line, by_scale in series.items()
        for scale, points in by_scale.items()
        for p in points
    ]
    return pd.DataFrame.from_records(records, columns=LINE_COLUMNS)


def without_sheet(registry, responses, eligible, t: Translator) -> list[str]:
    """Registry partnerships without a sheet, each with why (never surveyed, stopped, too few answers)."""
    surveyed = set(pd.Series(responses["partnership_id"].unique()).astype(str))
    out = []
    for r in registry[~registry["partnership_id"].isin(eligible["partnership_id"])].itertuples(index=False):
        why = t("sheet.too_few") if r.partnership_id in surveyed else t("sheet.never_surveyed")
        stopped = _year_text(r.stopped_year)
        if stopped:
            why += " " + t("sheet.stopped", year=stopped)
        out.append(f"{r.partnership_id} ({r.name}): {why}")
    return out


def _year_text(value) -> str:
    """A registry year as written ('' when empty), whether the registry was read as text or numbers."""
    if pd.isna(value) or str(value).strip() == "":
        return ""
    text = str(value).strip()
    return text.removesuffix(".0") if text.replace(".", "", 1).isdigit() else text


def write_sheets(
    responses, registry, questionnaire, out_dir, t: Translator, min_group_size: int, names: dict
) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    partnership_names = dict(zip(registry["partnership_id"], registry["name"]))
    env = environment()
    written = []
    shared = SheetData(responses, questionnaire, min_group_size)
    eligible = published_partnerships(eligible_partnerships(responses, min_group_size), shared)
    template, css = env.get_template("sheet.html.j2"), stylesheet()
    for pid in eligible["partnership_id"]:
        ctx = sheet_context(pid, responses, questionnaire, t, min_group_size, names, partnership_names, shared)
        html = template.render(s=ctx, t=t, css=css, lang=t.language)
        path = output_path(out_dir, f"{pid}.html")
        write_text(html, path)
        written.append(path)
    index = [
        {"pid": p, "name": partnership_names.get(p, p), "region": region_label(r, names), "wave": int(w)}
        for p, r, w in zip(eligible["partnership_id"], eligible["region"], eligible["wave"])
    ]
    write_text(
        env.get_template("sheet_index.html.j2").render(
            sheets=index,
            without=without_sheet(registry, responses, eligible, t),
            t=t,
            css=stylesheet(),
            lang=t.language,
            min=min_group_size,
        ),
        out_dir / "index.html",
    )
    return written
