"""The report's figures: matplotlib/seaborn on the Agg backend, reproducible PNG and SVG.

Every figure that describes respondents passes its groups through the one small-cell rule
(`borgingsmonitor.core.disclosure`); a group under the minimum is left out and said so on the figure.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator  # noqa: E402

from borgingsmonitor.core.contracts import EXCLUSION_REASONS, MAIN_MODEL, MAIN_MODEL_STD  # noqa: E402
from borgingsmonitor.core.disclosure import ALL, is_small, protected_cells, suppress_small  # noqa: E402
from borgingsmonitor.core.questionnaire import SCALES  # noqa: E402
from borgingsmonitor.models.hypotheses import ANALYSES, id_suffix  # noqa: E402
from borgingsmonitor.report.claims import BETWEEN, condition_hypotheses, pooled_term  # noqa: E402
from borgingsmonitor.report.figure_registry import FIGURE_NAMES, FIGURES  # noqa: E402
from borgingsmonitor.report.intervals import clustered_mean_ci  # noqa: E402
from borgingsmonitor.report.names import region_label  # noqa: E402
from borgingsmonitor.report.translate import Translator, format_number  # noqa: E402
from borgingsmonitor.report.year import choose_report_year  # noqa: E402

A4_WIDTH_IN = 6.7  # printable width of an A4 page with 2 cm margins
CONDITIONS = ("REL", "FAC", "PRO", "ORG")
# the titles that name the hypotheses a figure shows: title key -> the tables those hypotheses read
TITLE_SOURCES = {
    "fig.forest.title": condition_hypotheses,
    "fig.mediation.title": lambda hs: [h for h in hs if h.source == ANALYSES["mediation"].table],
    "fig.network_dip.title": lambda hs: [h for h in hs if h.source == ANALYSES["network_dip"].table],
}
LIKERT_COLORS = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")
SVG_HASHSALT = "borgingsmonitor"


def setup_matplotlib() -> None:
    plt.rcdefaults()
    plt.rcParams.update(
        {
            "svg.hashsalt": SVG_HASHSALT,
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "font.size": 8.5,
            "axes.titlesize": 9.5,
            "axes.labelsize": 8.5,
            "legend.fontsize": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.dpi": 100,
        }
    )


def titled(t: Translator, key: str, hypotheses=()) -> str:
    """A figure title with the declared hypotheses it shows, e.g. '... (H1–H4)'."""
    return t(key, hypotheses=id_suffix(h.id for h in TITLE_SOURCES[key](list(hypotheses))))


def save_figure(fig, png_path, svg_path=None, dpi: int = 200) -> None:
    """Write PNG and SVG without timestamps or version strings, so reruns are byte-identical; close it."""
    write_figure(fig, png_path, svg_path, dpi)
    plt.close(fig)


def write_figure(fig, png_path, svg_path=None, dpi: int = 200) -> None:
    Path(png_path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=dpi, metadata={"Software": None}, bbox_inches="tight", pad_inches=0.1)
    if svg_path:
        fig.savefig(svg_path, metadata={"Date": None, "Creator": None}, bbox_inches="tight", pad_inches=0.1)


def decimal_axis(ax, t: Translator, axis: str = "x", digits: int = 1) -> None:
    formatter = FuncFormatter(lambda v, _pos: format_number(v, digits, t.language))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def integer_axis(ax, t: Translator) -> None:
    """Whole-number ticks on x (years, ages): no repeated labels from rounding 1.2 and 1.4 to 1."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    decimal_axis(ax, t, "x", 0)


def wrap(text: str, width: int = 48) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def empty_figure(t: Translator, title: str, message_key: str = "fig.no_data"):
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 1.6))
    ax.axis("off")
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.45, t(message_key), ha="center", va="center", fontsize=10, color="#555555")
    return fig


def small_note(fig, t: Translator, min_group_size: int) -> None:
    fig.text(
        0.0, -0.02, t("fig.small_cell_note", min=min_group_size), fontsize=7.5, color="#555555", ha="left", va="top"
    )


# --- Likert items -------------------------------------------------------------------------------


def likert_distribution(responses: pd.DataFrame, items: list[str], min_group_size: int) -> pd.DataFrame:
    """Share of each answer 1..5 per item among those who answered; suppressed when n is small."""
    rows = []
    for code in items:
        answers = pd.to_numeric(responses[code], errors="coerce").dropna().astype(int)
        counts = answers.value_counts().reindex(range(1, 6), fill_value=0)
        n = int(counts.sum())
        shares = counts / n if n else counts.astype(float)
        rows.append({"item": code, "n": n, **{f"p{k}": float(shares[k]) for k in range(1, 6)}})
    table = pd.DataFrame(rows, columns=["item", "n", *(f"p{k}" for k in range(1, 6))])
    return suppress_small(table, [f"p{k}" for k in range(1, 6)], "n", min_group_size)


def likert_figure(responses, questionnaire, scale: str, t: Translator, min_group_size: int, year=None):
    items = questionnaire.scales[scale]
    data = responses if year is None else responses[responses["wave"] == year]
    dist = likert_distribution(data, items, min_group_size)
    height = 0.9 + 0.55 * len(items)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, height))
    labels = t.strings["fig.likert.labels"]
    reverse = set(questionnaire.reverse_items)
    ylabels = []
    legend_done = False
    for y, row in enumerate(dist.itertuples(index=False)):
        label = wrap(t.item(row.item), 52)
        if row.item in reverse:
            label += "\n" + t("fig.likert.reverse_keyed")
        if row.suppressed:
            label += "\n" + t("fig.suppressed_short", min=min_group_size)
            ylabels.append(label)
            continue
        ylabels.append(label + f"\n(n = {row.n})")
        shares = [float(getattr(row, f"p{k}")) for k in range(1, 6)]
        left = -(shares[0] + shares[1] + shares[2] / 2)
        for k, share in enumerate(shares):
            ax.barh(
                y,
                share,
                left=left,
                color=LIKERT_COLORS[k],
                edgecolor="white",
                height=0.7,
                label=None if legend_done else labels[k],
            )
            if share >= 0.07:
                ax.text(
                    left + share / 2,
                    y,
                    format_number(100 * share, 0, t.language),
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if k in (0, 4) else "black",
                )
            left += share
        legend_done = True
    ax.axvline(0, color="#333333", linewidth=0.8, zorder=0.5)  # behind the bars: no line through the labels
    ax.set_yticks(range(len(ylabels)))
    ax.set_yticklabels(ylabels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(abs(100 * v), 0, t.language) + "%"))
    ax.set_xlabel(t("fig.likert.xlabel"))
    period = t("fig.all_waves") if year is None else str(year)
    ax.set_title(t("fig.likert.title", scale=t.scale(scale), code=scale, period=period), loc="left")
    handles, names = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles[:5],
            names[:5],
            ncol=5,
            loc="upper center",
            bbox_to_anchor=(0.35, -0.35 / height * 2.2),
            frameon=False,
            fontsize=8,
            handlelength=1.2,
            columnspacing=1.0,
        )
    if dist["suppressed"].any():
        small_note(fig, t, min_group_size)
    return fig


# --- Profiles ------------------------------------------------------------------------------------


def scale_cells(responses: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """The protected cells of the scales (`core.disclosure.protected_cells`) the profiles draw from."""
    return protected_cells(responses, [s for s in SCALES if s in responses], min_group_size)


def region_profiles(responses: pd.DataFrame, min_group_size: int, cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per scale, each region's and all regions' mean with a partnership-clustered 95% interval; a
    group hidden in the protected cells (`core.disclosure.protected_cells`) is left out."""
    scales = [s for s in SCALES if s in responses]
    cells = scale_cells(responses, min_group_size) if cells is None else cells
    shown = cells[(cells["wave"] == ALL) & ~cells["suppressed"]]
    published = set(zip(shown["scale"], shown["geo_type"], shown["geo"]))
    # the partnerships as numbers in their sorted order: the intervals group by them exactly as by the
    # ids, without hashing a million strings per scale and region
    codes, _ = pd.factorize(responses["partnership_id"], sort=True)
    data = responses[["region", *scales]].assign(cluster=np.where(codes >= 0, codes, np.nan))
    groups = [("all", "all", data)] + [("region", r, d) for r, d in data.groupby("region", sort=True)]
    rows = []
    for scale in scales:
        for group_type, group, d in groups:
            n = int(d[scale].notna().sum())
            if (scale, group_type, str(group)) not in published:
                continue
            mean, low, high = clustered_mean_ci(d[scale], d["cluster"])
            rows.append(
                {
                    "scale": scale,
                    "group_type": group_type,
                    "group": str(group),
                    "n": n,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["scale", "group_type", "group", "n", "mean", "ci_low", "ci_high"])


def mark_cut_axis(ax, axis: str = "y") -> None:
    """Two short slashes where an axis starts above the scale's minimum, so a reader sees it is cut."""
    kwargs = dict(transform=ax.transAxes, color="black", clip_on=False, linewidth=1)
    for shift in (0.0, 0.02):
        if axis == "y":
            ax.plot([-0.012, 0.012], [0.02 + shift - 0.01, 0.02 + shift + 0.01], **kwargs)
        else:
            ax.plot([0.02 + shift - 0.01, 0.02 + shift + 0.01], [-0.012, 0.012], **kwargs)


def profiles_region_figure(responses, t: Translator, min_group_size: int, region_names=None, cells=None):
    d = region_profiles(responses, min_group_size, cells)
    if d.empty:
        return empty_figure(t, t("fig.profiles_region.title"))
    regions = sorted(d.loc[d["group_type"] == "region", "group"].unique())
    palette = dict(zip(regions, sns.color_palette("colorblind", max(len(regions), 1))))
    scales = [s for s in SCALES if s in set(d["scale"])]
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 1.0 + 0.62 * len(scales)))
    offsets = np.linspace(-0.25, 0.25, max(len(regions), 1))
    for y, scale in enumerate(scales):
        sd = d[d["scale"] == scale]
        overall = sd[sd["group_type"] == "all"]
        if not overall.empty:
            ax.plot(
                [overall["mean"].iloc[0]] * 2,
                [y - 0.35, y + 0.35],
                color="black",
                linewidth=1.4,
                label=t("fig.all_regions") if y == 0 else None,
            )
        for off, region in zip(offsets, regions):
            r = sd[(sd["group_type"] == "region") & (sd["group"] == region)]
            if r.empty:
                continue
            m, low, high = r["mean"].iloc[0], r["ci_low"].iloc[0], r["ci_high"].iloc[0]
            xerr = [[m - low], [high - m]] if pd.notna(low) else None
            ax.errorbar(
                m,
                y + off,
                xerr=xerr,
                fmt="o",
                color=palette[region],
                markersize=4.5,
                capsize=2,
                linewidth=1,
                label=region_label(region, region_names) if y == 0 else None,
            )
    ax.set_yticks(range(len(scales)))
    ax.set_yticklabels([wrap(t.scale(s), 26) for s in scales])
    ax.invert_yaxis()
    ax.set_xlim(1, 5)  # the whole answer scale: gaps between regions are not magnified
    ax.xaxis.set_major_locator(MultipleLocator(0.5))
    decimal_axis(ax, t, "x", 1)
    ax.set_xlabel(t("fig.mean_score_ci"))
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_title(t("fig.profiles_region.title"), loc="left")
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="lower center",
        ncol=min(len(regions) + 1, 5),
        frameon=False,
        bbox_to_anchor=(0.5, 0.045),
    )
    fig.text(0.01, 0.01, wrap(t("fig.profiles_region.interval_note"), 130), fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def published_means(cells: pd.DataFrame, geo_type: str, geo: str | None = None) -> pd.DataFrame:
    """Per-wave n, mean and sd of a geography from the protected cells (`core.disclosure.protected_cells`):
    columns region (for regions), wave (int), scale, n, mean, sd, suppressed; hidden cells blank."""
    sub = cells[(cells["geo_type"] == geo_type) & (cells["wave"] != ALL)]
    if geo is not None:
        sub = sub[sub["geo"] == geo]
    out = sub.assign(wave=sub["wave"].astype(int))
    if geo_type == "region" and geo is None:
        out = out.assign(region=out["geo"])[["region", "wave", "scale", "n", "mean", "sd", "suppressed"]]
    else:
        out = out[["wave", "scale", "n", "mean", "sd", "suppressed"]]
    return out.sort_values([c for c in ("region", "wave", "scale") if c in out], kind="mergesort").reset_index(
        drop=True
    )


def profiles_wave_figure(responses, t: Translator, min_group_size: int, region_names=None, cells=None):
    cells = scale_cells(responses, min_group_size) if cells is None else cells
    by_region = published_means(cells, "region")
    overall = published_means(cells, ALL)
    if by_region.empty:
        return empty_figure(t, t("fig.profiles_wave.title"))
    regions = sorted(by_region["region"].astype(str).unique())
    palette = dict(zip(regions, sns.color_palette("colorblind", len(regions))))
    waves = sorted(int(w) for w in by_region["wave"].unique())
    fig, axes = plt.subplots(2, 3, figsize=(A4_WIDTH_IN, 4.6), sharey=True)
    flat = axes.ravel()
    for ax, scale in zip(flat, SCALES):
        for region in regions:
            r = by_region[(by_region["region"].astype(str) == region) & (by_region["scale"] == scale)]
            ax.plot(
                r["wave"].astype(int),
                r["mean"].astype(float),
                marker="o",
                markersize=3.5,
                linewidth=1.2,
                color=palette[region],
                label=region_label(region, region_names),
            )
        o = overall[overall["scale"] == scale]
        ax.plot(
            o["wave"].astype(int),
            o["mean"].astype(float),
            color="black",
            linestyle="--",
            linewidth=1.4,
            label=t("fig.all_regions"),
        )
        ax.set_title(wrap(f"{t.scale(scale)} ({scale})", 24), fontsize=8)
        ax.set_xticks(waves)
        ax.set_xticklabels([str(w) for w in waves])
        ax.set_xlim(waves[0] - 0.3, waves[-1] + 0.3)
        ax.set_ylim(1, 5)
        ax.grid(axis="y", color="#e5e5e5")
        decimal_axis(ax, t, "y", 1)
    for ax in axes[:, 0]:
        ax.set_ylabel(t("fig.mean_score"))
    for ax in axes[1, :2]:
        ax.set_xlabel(t("fig.wave"))
    handles, labels = flat[0].get_legend_handles_labels()
    flat[-1].axis("off")
    flat[-1].legend(handles, labels, loc="center", frameon=False, title=t("fig.region"))
    fig.suptitle(t("fig.profiles_wave.title"), x=0.01, ha="left", fontsize=9.5)
    fig.tight_layout()
    if by_region["suppressed"].any():
        small_note(fig, t, min_group_size)
    return fig


def correlation_table(responses: pd.DataFrame, min_group_size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = responses[[s for s in SCALES if s in responses]].apply(pd.to_numeric, errors="coerce").astype(float)
    corr = scores.corr(min_periods=1)
    valid = scores.notna().astype(int)
    n = valid.T @ valid
    return corr.where(~is_small(n, min_group_size)), n


def correlation_figure(responses, t: Translator, min_group_size: int, year=None):
    data = responses if year is None else responses[responses["wave"] == year]
    corr, n = correlation_table(data, min_group_size)
    if corr.isna().all().all():
        return empty_figure(t, t("fig.correlations.title", period=year or t("fig.all_waves")))
    labels = [f"{t.scale(s)}\n({s})" for s in corr.columns]
    annot = corr.apply(lambda col: col.map(lambda v: format_number(v, 2, t.language) if pd.notna(v) else ""))
    mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN * 0.8, 4.2))
    sns.heatmap(
        corr,
        mask=mask,
        annot=annot.values,
        fmt="",
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        square=True,
        linewidths=0.5,
        cbar_kws={"label": t("fig.correlations.cbar"), "shrink": 0.7},
        ax=ax,
        xticklabels=list(corr.columns),
        yticklabels=[wrap(x, 22) for x in labels],
    )
    ax.tick_params(axis="x", labelrotation=0, labelsize=8)
    ax.tick_params(axis="y", labelrotation=0, labelsize=8)
    cbar = ax.collections[0].colorbar
    cbar.set_ticks([-1, -0.5, 0, 0.5, 1])
    cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, 1, t.language)))
    period = str(year) if year is not None else t("fig.all_waves")
    ax.set_title(
        t("fig.correlations.title", period=period) + f" (n = {int(np.diag(n).min())}–{int(np.diag(n).max())})",
        loc="left",
    )
    return fig


# --- Models --------------------------------------------------------------------------------------


def forest_rows(models: pd.DataFrame, hypotheses=()) -> tuple[pd.DataFrame, str]:
    """The rows the forest plot shows and their model: the declared hypotheses' terms (the hybrid's
    between effects), else the registered model's conditions."""
    tested = condition_hypotheses(list(hypotheses))
    picked = [models[(models["model"] == h.model) & (models["term"] == h.term)].head(1) for h in tested]
    if tested and all(len(p) for p in picked):
        return pd.concat(picked, ignore_index=True), tested[0].model
    for name in (MAIN_MODEL_STD, MAIN_MODEL):
        rows = models[(models["model"] == name) & models["term"].isin(CONDITIONS)]
        if not rows.empty:
            order = {c: i for i, c in enumerate(CONDITIONS)}
            rows = rows.assign(_o=rows["term"].map(order)).sort_values("_o").drop(columns="_o")
            return rows.reset_index(drop=True), name
    return models.iloc[0:0], ""


def forest_figure(models, t: Translator, hypotheses=()):
    rows, name = forest_rows(models, hypotheses)
    title = titled(t, "fig.forest.title", hypotheses)
    if rows.empty:
        return empty_figure(t, title)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 2.6))
    for y, r in enumerate(rows.itertuples(index=False)):
        est, lo, hi = float(r.estimate), float(r.ci_low), float(r.ci_high)
        ax.plot([lo, hi], [y, y], color="#2166ac", linewidth=1.8)
        ax.plot(est, y, "s", color="#2166ac", markersize=6)
        ax.text(
            1.02,
            y,
            f"{format_number(est, 2, t.language)} {t.ci(lo, hi)}",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
        )
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(rows)))
    tested = {h.term: h.id for h in TITLE_SOURCES["fig.forest.title"](list(hypotheses))}
    names = [wrap(t.scale(pooled_term(c)), 40) for c in rows["term"]]
    ax.set_yticklabels([f"{tested[c]}  {n}" if c in tested else n for c, n in zip(rows["term"], names)])
    ax.invert_yaxis()
    decimal_axis(ax, t, "x", 2)
    between = rows["term"].astype(str).str.endswith(BETWEEN).all()
    key = (
        "fig.forest.xlabel_std"
        if name.endswith("_std")
        else "fig.forest.xlabel_between"
        if between
        else "fig.forest.xlabel"
    )
    ax.set_xlabel(t(key))
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#eeeeee")
    return fig


def _box(ax, x, y, text, width=0.26, height=0.16, color="#deebf7"):
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.01",
            facecolor=color,
            edgecolor="#333333",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start, end, label, offset=(0, 0.04)):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "#333333", "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0},
    )
    mid = ((start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1])
    ax.text(
        *mid, label, ha="center", va="center", fontsize=7.5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1}
    )


def mediation_figure(mediation, t: Translator, hypotheses=()):
    eff = {str(r.effect): r for r in mediation.itertuples(index=False)} if not mediation.empty else {}
    title = titled(t, "fig.mediation.title", hypotheses)
    if not {"a", "b"} <= set(eff):
        return empty_figure(t, title)

    def label(name):
        r = eff.get(name)
        if r is None:
            return ""
        return f"{format_number(r.estimate, 2, t.language)} {t.ci(r.ci_low, r.ci_high)}"

    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.3))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    fac, rel, dur = (0.16, 0.3), (0.5, 0.8), (0.84, 0.3)
    _box(ax, *fac, wrap(f"{t.scale('FAC')} (FAC)", 22))
    _box(ax, *rel, wrap(f"{t.scale('REL')} (REL)", 22))
    _box(ax, *dur, wrap(f"{t.scale('DUR')} (DUR)", 22))
    _arrow(ax, (fac[0] + 0.06, fac[1] + 0.08), (rel[0] - 0.1, rel[1] - 0.08), "a = " + label("a"), (-0.1, 0.03))
    _arrow(ax, (rel[0] + 0.1, rel[1] - 0.08), (dur[0] - 0.06, dur[1] + 0.08), "b = " + label("b"), (0.1, 0.03))
    _arrow(ax, (fac[0] + 0.13, fac[1]), (dur[0] - 0.13, dur[1]), "c' = " + label("direct"), (0, -0.06))
    lines = []
    for name in ("indirect", "total"):
        if name in eff:
            lines.append(f"{t('fig.mediation.' + name)}: {label(name)}")
    n_boot = eff["indirect"].n_boot if "indirect" in eff and "n_boot" in mediation else None
    if n_boot is not None and pd.notna(n_boot):
        lines.append(t("fig.mediation.boot", n_boot=format_number(n_boot, 0, t.language)))
    ax.text(0.5, 0.02, "\n".join(lines), ha="center", va="bottom", fontsize=8)
    ax.set_title(title, loc="left")
    return fig


def dip_curve(dip: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """The adjusted curve without the ages that rest on fewer than the minimum of responses."""
    d = dip[["partnership_age", "estimate", "ci_low", "ci_high"]].apply(pd.to_numeric, errors="coerce")
    keep = pd.Series(True, index=dip.index)
    if "n" in dip:
        keep &= ~is_small(pd.to_numeric(dip["n"], errors="coerce").fillna(0), min_group_size)
    if "suppressed" in dip:
        keep &= ~dip["suppressed"].astype(str).str.lower().isin(("true", "1", "yes"))
    return d[keep & d["estimate"].notna()].sort_values("partnership_age").reset_index(drop=True)


def few_partnership_ages(curve: pd.DataFrame) -> pd.Series:
    """n_partnerships of the ages shown but not interpreted (`few_partnerships`), by age."""
    if "few_partnerships" not in curve:
        return pd.Series(dtype=float)
    few = curve["few_partnerships"].astype(str).str.lower().isin(("true", "1"))
    return curve.loc[few].set_index("partnership_age")["n_partnerships"]


def network_dip_figure(dip, t: Translator, min_group_size: int = 5, hypotheses=()):
    title = titled(t, "fig.network_dip.title", hypotheses)
    if dip.empty:
        return empty_figure(t, title)
    d = dip_curve(dip, min_group_size)
    if d.empty:
        return empty_figure(t, title)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.0))
    ax.fill_between(
        d["partnership_age"],
        d["ci_low"],
        d["ci_high"],
        color="#9ecae1",
        alpha=0.6,
        label=t("fig.network_dip.band"),
        linewidth=0,
    )
    ax.plot(d["partnership_age"], d["estimate"], color="#08519c", linewidth=2, label=t("fig.network_dip.curve"))
    few = d[d["partnership_age"].isin(pd.to_numeric(few_partnership_ages(dip).index, errors="coerce"))]
    if len(few):  # shown, not interpreted (Amendment 1): open markers on the survivors' ages
        ax.plot(
            few["partnership_age"],
            few["estimate"],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            markeredgecolor="#08519c",
            label=t("fig.network_dip.few"),
        )
    ax.set_xlabel(t("fig.network_dip.xlabel"))
    ax.set_ylabel(t("fig.network_dip.ylabel"))
    decimal_axis(ax, t, "y", 1)
    if ax.get_ylim()[0] > 1:
        mark_cut_axis(ax, "y")  # the curve's few tenths would vanish on the whole 1-5 scale
    integer_axis(ax, t)
    ax.grid(color="#eeeeee")
    ax.legend(frameon=False, loc="best")
    ax.set_title(wrap(title, 80), loc="left")
    return fig


# --- Survival ------------------------------------------------------------------------------------


def parse_km_term(term: str) -> tuple[str, float | None]:
    """Split a Kaplan-Meier term like 'funding_ended=no;t=2' into its stratum and time.

    Separators ';' or ',' and whitespace are tolerated; a term without t= gives time None.
    """
    parts = [p.strip() for p in re.split(r"[;,]", str(term)) if p.strip()]
    stratum, time = [], None
    for part in parts:
        key, _, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if key in ("t", "time", "year", "years") and value:
            try:
                time = float(value)
                continue
            except ValueError:
                pass
        stratum.append(f"{key}={value}" if value else key)
    return ";".join(stratum) or "all", time


def km_curves(survival: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    km = survival[survival["model"].astype(str) == "kaplan_meier"].copy()
    if km.empty:
        return pd.DataFrame(columns=["stratum", "t", "estimate", "ci_low", "ci_high", "n_partnerships"])
    parsed = km["term"].map(parse_km_term)
    km["stratum"] = [p[0] for p in parsed]
    km["t"] = [p[1] for p in parsed]
    km = km.dropna(subset=["t"])
    for col in ("estimate", "ci_low", "ci_high", "n_partnerships"):
        km[col] = pd.to_numeric(km[col], errors="coerce") if col in km else np.nan
    size = km.groupby("stratum")["n_partnerships"].transform("max")
    km = km[~is_small(size.fillna(0), min_group_size)]
    return km.sort_values(["stratum", "t"], kind="mergesort")[
        ["stratum", "t", "estimate", "ci_low", "ci_high", "n_partnerships"]
    ].reset_index(drop=True)


def stratum_label(stratum: str, t: Translator) -> str:
    if stratum == "all":
        return t("fig.km.all")
    parts = []
    for part in stratum.split(";"):
        key, _, value = part.partition("=")
        name = t.get(f"strata.{key}", key)
        parts.append(f"{name}: {t.get(f'strata.values.{value}', value)}" if value else name)
    return ", ".join(parts)


def start_at_one(curve: pd.DataFrame) -> pd.DataFrame:
    """A survival curve starts with everyone still running at t = 0, unless it starts later at 1 (a
    Simon-Makuch curve of funding ended begins at the age the first funding ends)."""
    if curve.empty or curve["t"].min() <= 0 or curve["estimate"].iloc[0] >= 1:
        return curve
    first = curve.iloc[[0]].assign(t=0.0, estimate=1.0, ci_low=1.0, ci_high=1.0)
    return pd.concat([first, curve], ignore_index=True)


def survival_figure(survival, t: Translator, min_group_size: int):
    curves = km_curves(survival, min_group_size)
    if curves.empty:
        return empty_figure(t, t("fig.km.title"))
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.2))
    colors = sns.color_palette("colorblind", curves["stratum"].nunique())
    for color, (stratum, c) in zip(colors, curves.groupby("stratum", sort=True)):
        c = start_at_one(c)
        n = int(c["n_partnerships"].max())
        ax.step(
            c["t"],
            c["estimate"],
            where="post",
            color=color,
            linewidth=1.8,
            label=f"{stratum_label(stratum, t)} (n = {n})",
            linestyle=("-", "--", ":", "-.")[len(ax.lines) % 4],
        )
        if c["ci_low"].notna().any():
            ax.fill_between(c["t"], c["ci_low"], c["ci_high"], step="post", color=color, alpha=0.18, linewidth=0)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, curves["t"].max() + 0.5)
    ax.set_xlabel(t("fig.km.xlabel"))
    ax.set_ylabel(t("fig.km.ylabel"))
    decimal_axis(ax, t, "y", 1)
    integer_axis(ax, t)
    if (curves["estimate"] >= 1).all():
        ax.text(
            0.5,
            0.55,
            t("fig.km.no_stops"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="#333333",
            bbox={"facecolor": "white", "edgecolor": "#cccccc", "pad": 4},
        )
    ax.grid(color="#eeeeee")
    ax.legend(frameon=False, loc="lower left")
    ax.set_title(t("fig.km.title"), loc="left")
    return fig


# --- Attrition -----------------------------------------------------------------------------------


def attrition_totals(attrition: pd.DataFrame) -> tuple[int, dict[str, int], int]:
    reasons = [c for c in attrition.columns if c not in ("region", "wave", "raw_rows", "analysed")]
    ordered = [r for r in EXCLUSION_REASONS if r in reasons] + [r for r in reasons if r not in EXCLUSION_REASONS]
    totals = {r: int(pd.to_numeric(attrition[r], errors="coerce").fillna(0).sum()) for r in ordered}
    return int(attrition["raw_rows"].sum()), totals, int(attrition["analysed"].sum())


def count_label(n: int, t: Translator, min_group_size: int) -> str:
    """Region counts under the minimum are shown as '< min', not as the exact number."""
    return t("fig.fewer_than", min=min_group_size) if is_small(n, min_group_size) else format_number(n, 0, t.language)


def attrition_figure(attrition, t: Translator, min_group_size: int, region_names=None):
    if attrition.empty:
        return empty_figure(t, t("fig.attrition.title"))
    raw, totals, analysed = attrition_totals(attrition)
    per_region = attrition.groupby("region", sort=True)["analysed"].sum()
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 4.4))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    _box(ax, 0.3, 0.9, t("fig.attrition.raw", n=format_number(raw, 0, t.language)), width=0.4, height=0.1)
    excluded = sum(totals.values())
    lines = [t("fig.attrition.excluded", n=format_number(excluded, 0, t.language))]
    lines += [f"  {t.get('reasons.' + r, r)}: {format_number(v, 0, t.language)}" for r, v in totals.items()]
    ax.add_patch(
        FancyBboxPatch(
            (0.54, 0.5), 0.45, 0.36, boxstyle="round,pad=0.01", facecolor="#fee0d2", edgecolor="#333333", linewidth=1
        )
    )
    ax.text(0.555, 0.68, "\n".join(lines), ha="left", va="center", fontsize=8, linespacing=1.5)
    ax.annotate("", xy=(0.3, 0.42), xytext=(0.3, 0.85), arrowprops={"arrowstyle": "-|>", "color": "#333333"})
    ax.annotate("", xy=(0.54, 0.68), xytext=(0.3, 0.68), arrowprops={"arrowstyle": "-|>", "color": "#333333"})
    _box(
        ax,
        0.3,
        0.37,
        t("fig.attrition.analysed", n=format_number(analysed, 0, t.language)),
        width=0.4,
        height=0.1,
        color="#c7e9c0",
    )
    k = len(per_region)
    width = min(0.22, 0.96 / max(k, 1) - 0.02)
    xs = np.linspace(0.02 + width / 2, 0.98 - width / 2, k) if k > 1 else [0.5]
    for x, (region, n) in zip(xs, per_region.items()):
        ax.annotate("", xy=(x, 0.17), xytext=(0.3, 0.32), arrowprops={"arrowstyle": "-|>", "color": "#999999"})
        _box(
            ax,
            x,
            0.1,
            wrap(region_label(region, region_names), 18) + "\n" + count_label(int(n), t, min_group_size),
            width=width,
            height=0.13,
            color="#f0f0f0",
        )
    ax.set_title(t("fig.attrition.title"), loc="left")
    return fig


# --- all figures ---------------------------------------------------------------------------------


@dataclass
class FigureData:
    """Everything a figure builder may draw from."""

    responses: pd.DataFrame
    models: pd.DataFrame
    mediation: pd.DataFrame
    dip: pd.DataFrame
    survival: pd.DataFrame
    attrition: pd.DataFrame
    questionnaire: object
    t: Translator
    min_group_size: int
    year: int
    region_names: dict | None = None
    hypotheses: list = field(default_factory=list)

    @cached_property
    def cells(self) -> pd.DataFrame:
        """scale_cells, read by both profile figures: at a million responses, seconds each."""
        return scale_cells(self.responses, self.min_group_size)


def build_likert(d: FigureData, scale: str):
    return likert_figure(d.responses, d.questionnaire, scale, d.t, d.min_group_size, d.year)


def build_profiles_region(d: FigureData):
    return profiles_region_figure(d.responses, d.t, d.min_group_size, d.region_names, d.cells)


def build_profiles_wave(d: FigureData):
    return profiles_wave_figure(d.responses, d.t, d.min_group_size, d.region_names, d.cells)


def build_scale_correlations(d: FigureData):
    return correlation_figure(d.responses, d.t, d.min_group_size, d.year)


def build_forest_conditions(d: FigureData):
    return forest_figure(d.models, d.t, d.hypotheses)


def build_mediation_paths(d: FigureData):
    return mediation_figure(d.mediation, d.t, d.hypotheses)


def build_network_dip(d: FigureData):
    return network_dip_figure(d.dip, d.t, d.min_group_size, d.hypotheses)


def build_survival_km(d: FigureData):
    return survival_figure(d.survival, d.t, d.min_group_size)


def build_attrition_flow(d: FigureData):
    return attrition_figure(d.attrition, d.t, d.min_group_size, d.region_names)


def build_figures(
    responses,
    descriptives,
    models,
    mediation,
    dip,
    survival,
    attrition,
    questionnaire,
    t: Translator,
    min_group_size: int,
    year=None,
    region_names=None,
    hypotheses=(),
    names=FIGURE_NAMES,
) -> dict:
    """name -> matplotlib Figure for the figures `names` of the registry (report/figure_registry.py),
    by default all; a table no figure of `names` reads may be None."""
    year = choose_report_year(responses, year).year
    data = FigureData(
        responses,
        models,
        mediation,
        dip,
        survival,
        attrition,
        questionnaire,
        t,
        min_group_size,
        year,
        region_names,
        list(hypotheses),
    )
    return {f.name: globals()[f.builder](data, **f.options) for f in FIGURES if f.name in names}


def write_figures(figs: dict, png_paths: dict, svg_paths: dict) -> None:
    for name in figs:
        save_figure(figs[name], png_paths[name], svg_paths.get(name))
