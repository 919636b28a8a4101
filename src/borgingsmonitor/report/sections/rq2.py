"""RQ2: the scale descriptives per region, wave, role, organisation type and partnership."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.core.disclosure import is_small
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.document import (
    Builder,
    Cell,
    ReportInputs,
    int_cell,
    num_cell,
    report_year,
    suppressed_cell,
    truthy,
)
from borgingsmonitor.report.figures import region_label
from borgingsmonitor.report.translate import Translator, is_missing

GROUP_TYPES = ("region", "wave", "role", "org_type", "partnership")


def group_label(t: Translator, group_type: str, group: str, names: dict, partnerships: dict) -> str:
    if group_type == "region":
        return region_label(group, names)
    if group_type in ("role", "org_type"):
        return t.option(group_type, group)
    if group_type == "partnership":
        return f"{group} {partnerships.get(group, '')}".strip()
    if group_type == "all":
        return t("groups.all")
    return str(group)


def descriptives_table(b: Builder, inputs: ReportInputs, group_type: str):
    t, m = b.t, inputs.min_group_size
    d = inputs.tables["descriptives"]
    d = d[d["group_type"] == group_type]
    if d.empty:
        return
    names = inputs.region_names
    partnerships = dict(zip(inputs.registry.get("partnership_id", []), inputs.registry.get("name", [])))
    rows, any_small = [], False
    for group, g in sorted(d.groupby(d["group"].astype(str)), key=lambda kv: kv[0]):
        by_scale = {r.scale: r for r in g.itertuples(index=False)}
        shown_n = pd.to_numeric(g["n"], errors="coerce").dropna()  # a hidden group has no n
        n = int(shown_n.max()) if len(shown_n) else None
        cells = [
            Cell(group_label(t, group_type, group, names, partnerships)),
            int_cell(t, n) if n is not None else suppressed_cell(t, m),
        ]
        for scale in SCALES:
            r = by_scale.get(scale)
            if r is None:
                cells.append(Cell(""))
            elif truthy(r.suppressed) or is_small(r.n, m) or is_missing(r.mean):
                any_small = True
                cells.append(suppressed_cell(t, m))
            else:
                cells.append(num_cell(t, r.mean))
        rows.append(cells)
    label = t(f"groups.{group_type}").lower()
    b.heading("sub.by_group", level=2, group=label)
    b.table(
        t("sub.by_group", group=label),
        [t(f"groups.{group_type}"), t("col.n"), *SCALES],
        rows,
        note=t("table.suppressed_note", min=m) if any_small else "",
    )


def section_rq2(b: Builder, inputs: ReportInputs):
    t = b.t
    b.heading("sections.rq2", anchor="rq2")
    b.para(t("text.rq2_intro"))
    b.figure(inputs.figures.get("profiles_region"), t("fig.profiles_region.title"))
    b.figure(inputs.figures.get("profiles_wave"), t("fig.profiles_wave.title"))
    for group_type in GROUP_TYPES:
        descriptives_table(b, inputs, group_type)
    b.heading("sub.items", level=2)
    year = report_year(inputs)
    for scale in SCALES:
        b.figure(
            inputs.figures.get(f"likert_{scale}"), t("fig.likert.title", scale=t.scale(scale), code=scale, period=year)
        )
    b.figure(inputs.figures.get("scale_correlations"), t("fig.correlations.title", period=year))
