"""One-page feedback sheets per partnership: its scales against its region and all regions.

A partnership gets a sheet when its latest wave has at least `min_group_size` respondents; the
sheet describes that wave (a sheet should show the present, not a stale year). Every number on it
passes the small-cell rule; no comment, respondent key or individual answer is used.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from borgingsmonitor.core.disclosure import ALL, is_small, protected_cells
from borgingsmonitor.core.paths import output_path
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.figures import A4_WIDTH_IN, decimal_axis, published_means, region_label, write_figure
from borgingsmonitor.report.html import environment, image_data_uri, stylesheet, write_text
from borgingsmonitor.report.translate import Translator

SHEET_COLUMNS = ["partnership_id", "region", "wave", *SCALES]  # nothing else reaches a sheet
N_ITEMS_SHOWN = 3


def eligible_partnerships(responses: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """partnership_id, region, latest wave and its n, for partnerships large enough in their latest wave."""
    counts = responses.groupby(["partnership_id", "region", "wave"], observed=True).size().rename("n").reset_index()
    latest = counts.sort_values(["partnership_id", "wave"]).groupby("partnership_id", observed=True).tail(1)
    latest = latest[~is_small(latest["n"], min_group_size)]
    return latest.sort_values("partnership_id").reset_index(drop=True)


def item_scores(responses: pd.DataFrame, questionnaire, min_group_size: int) -> pd.DataFrame:
    """Mean per item with reverse-keyed items reversed (higher is always better); small items dropped."""
    rows = []
    for item in questionnaire.items:
        values = pd.to_numeric(responses[item.code], errors="coerce").dropna().astype(float)
        if item.reverse:
            values = 6 - values
        if not is_small(len(values), min_group_size):
            rows.append({"item": item.code, "scale": item.scale, "reverse": item.reverse, "n": len(values),
                         "mean": float(values.mean())})
    return pd.DataFrame(rows, columns=["item", "scale", "reverse", "n", "mean"])


def strongest_weakest(scores: pd.DataFrame, k: int = N_ITEMS_SHOWN) -> tuple[pd.DataFrame, pd.DataFrame]:
    ordered = scores.sort_values(["mean", "item"], ascending=[False, True], kind="mergesort")
    k = min(k, len(ordered) // 2)
    return ordered.head(k), ordered.tail(k).iloc[::-1]


def scale_lookup(table: pd.DataFrame, **where) -> dict[str, float | None]:
    sub = table
    for key, value in where.items():
        sub = sub[sub[key] == value]
    return {r.scale: (None if r.suppressed else float(r.mean)) for r in sub.itertuples(index=False)}


class SheetData:
    """What every sheet compares against, computed once: all regions' and each region's wave means,
    and each partnership's rows (filtering a national table once per sheet would dominate)."""

    def __init__(self, responses: pd.DataFrame, questionnaire, min_group_size: int):
        data = responses[SHEET_COLUMNS + questionnaire.item_codes]
        # the same protected cells as descriptives.csv and the report, so no two outputs can be subtracted
        self.cells = protected_cells(responses, [s for s in SCALES if s in responses], min_group_size)
        self.all_wave = published_means(self.cells, ALL)
        self.region_wave = {r: published_means(self.cells, "region", str(r)) for r in sorted(data["region"].unique())}
        self.own = dict(tuple(data.groupby("partnership_id", sort=True)))
        self.charts: dict = {}


def sheet_context(pid: str, responses: pd.DataFrame, questionnaire, t: Translator, min_group_size: int,
                  names: dict, partnership_names: dict, figure_path, shared: SheetData | None = None) -> dict:
    shared = shared or SheetData(responses, questionnaire, min_group_size)
    own = shared.own[pid]
    region = own["region"].iloc[0]
    wave = int(own["wave"].max())
    own_wave = published_means(shared.cells, "partnership", str(pid))
    region_wave = shared.region_wave[region]
    all_wave = shared.all_wave
    rows = []
    for scale in SCALES:
        o = scale_lookup(own_wave, wave=wave).get(scale)
        rows.append({"scale": f"{t.scale(scale)} ({scale})", "own": t.num(o) if o is not None else None,
                     "region": t.num(scale_lookup(region_wave, wave=wave).get(scale)),
                     "all": t.num(scale_lookup(all_wave, wave=wave).get(scale))})
    scores = item_scores(own[own["wave"] == wave], questionnaire, min_group_size)
    best, worst = strongest_weakest(scores)

    def items(frame):
        return [{"text": t.item(r.item), "reverse": bool(r.reverse), "mean": t.num(r.mean, 1)}
                for r in frame.itertuples(index=False)]

    region_name = region_label(region, names)
    lines = waves_lines(own_wave, region_wave, all_wave, t, region_name)
    waves_figure(lines, t, figure_path, shared.charts)
    return {"pid": pid, "name": partnership_names.get(pid, pid), "region": region_name, "wave": wave,
            "n": int((own["wave"] == wave).sum()), "rows": rows, "strongest": items(best), "weakest": items(worst),
            "figure": image_data_uri(figure_path), "min": min_group_size, "lines": lines}


LINE_STYLES = {
    "all": {"color": "#8c96a0", "linestyle": ":", "linewidth": 1.8},
    "region": {"color": "#6b7785", "linestyle": "--", "linewidth": 1.6},
    "own": {"color": "#1f5f99", "marker": "o", "linewidth": 2.0, "markersize": 4},
}


def waves_lines(own_wave, region_wave, all_wave, t: Translator, region_name: str) -> pd.DataFrame:
    """The chart's data: line (all, region, own), label, scale, wave, mean; small groups are already blank."""
    parts = []
    for line, table, label in (("all", all_wave, t("sheet.all")),
                               ("region", region_wave, t("sheet.region", region=region_name)),
                               ("own", own_wave, t("sheet.own"))):
        part = table[["scale", "wave", "mean"]].assign(line=line, label=label)
        parts.append(part[["line", "label", "scale", "wave", "mean"]])
    out = pd.concat(parts, ignore_index=True)
    out["wave"] = out["wave"].astype(int)
    out["mean"] = pd.to_numeric(out["mean"], errors="coerce").astype(float)
    return out


def waves_figure(lines: pd.DataFrame, t: Translator, path, charts: dict | None = None) -> None:
    """The sheet's chart of wave means. With `charts`, one figure per set of waves is laid out once and
    redrawn for every sheet (building and laying out a figure costs more than drawing it)."""
    waves = tuple(sorted(lines["wave"].unique()))
    if charts is None:
        chart = WavesChart(waves, t)
        chart.draw(lines, path)
        chart.close()
        return
    if (waves, t.language) not in charts:
        charts[waves, t.language] = WavesChart(waves, t)
    charts[waves, t.language].draw(lines, path)


class WavesChart:
    def __init__(self, waves: tuple, t: Translator):
        self.fig, self.axes = plt.subplots(1, 5, figsize=(A4_WIDTH_IN, 2.0), sharey=True)
        self.lines = {}
        for ax, scale in zip(self.axes, SCALES):
            for line, style in LINE_STYLES.items():
                (self.lines[scale, line],) = ax.plot([], [], label=line, **style)
            ax.set_title(scale, fontsize=8.5)
            ax.set_xticks(waves)
            ax.set_xticklabels([f"'{w % 100:02d}" for w in waves], fontsize=7.5)
            ax.set_ylim(1, 5)
            ax.set_xlim(waves[0] - 0.4, waves[-1] + 0.4)
            ax.grid(axis="y", color="#eeeeee")
            decimal_axis(ax, t, "y", 0)
        self.axes[0].set_ylabel(t("fig.mean_score"), fontsize=7.5)
        self.fig.tight_layout(rect=(0, 0.07, 1, 1))  # the figure legend below takes no part in it
        self.legend = None

    def draw(self, lines: pd.DataFrame, path) -> None:
        for (scale, line), artist in self.lines.items():
            s = lines[(lines["line"] == line) & (lines["scale"] == scale)].sort_values("wave")
            artist.set_data(s["wave"].to_numpy(), s["mean"].to_numpy())
            artist.set_label(s["label"].iloc[0] if not s.empty else line)
        if self.legend is not None:
            self.legend.remove()
        handles, labels = self.axes[0].get_legend_handles_labels()
        self.legend = self.fig.legend(handles[::-1], labels[::-1], loc="lower center", ncol=3, frameon=False,
                                      fontsize=8, bbox_to_anchor=(0.5, -0.1))
        write_figure(self.fig, path, dpi=170)

    def close(self) -> None:
        plt.close(self.fig)


def write_sheets(responses, registry, questionnaire, out_dir, t: Translator, min_group_size: int,
                 names: dict, work_dir) -> list[Path]:
    out_dir, work_dir = Path(out_dir), Path(work_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    partnership_names = dict(zip(registry["partnership_id"], registry["name"]))
    env = environment()
    written = []
    eligible = eligible_partnerships(responses, min_group_size)
    shared = SheetData(responses, questionnaire, min_group_size)
    for pid in eligible["partnership_id"]:
        ctx = sheet_context(pid, responses, questionnaire, t, min_group_size, names, partnership_names,
                            output_path(work_dir, f"{pid}.png"), shared)
        html = env.get_template("sheet.html.j2").render(s=ctx, t=t, css=stylesheet(), lang=t.language)
        path = output_path(out_dir, f"{pid}.html")
        write_text(html, path)
        written.append(path)
    for chart in shared.charts.values():
        chart.close()
    index = [{"pid": p, "name": partnership_names.get(p, p), "region": region_label(r, names), "wave": int(w)}
             for p, r, w in zip(eligible["partnership_id"], eligible["region"], eligible["wave"])]
    write_text(env.get_template("sheet_index.html.j2").render(sheets=index, t=t, css=stylesheet(), lang=t.language,
                                                              min=min_group_size), out_dir / "index.html")
    return written
