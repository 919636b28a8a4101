"""RQ1: the measurement of the scales (reliability and CFA)."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.core.disclosure import is_small
from borgingsmonitor.core.questionnaire import SCALES
from borgingsmonitor.report.document import (
    Builder,
    Cell,
    ReportInputs,
    col,
    int_cell,
    num_cell,
    p_cell,
    suppressed_cell,
)
from borgingsmonitor.report.translate import Translator, format_int


def section_rq1(b: Builder, inputs: ReportInputs):
    t, m = b.t, inputs.min_group_size
    b.heading("sections.rq1", anchor="rq1")
    b.para(t("text.rq1_intro"))
    rel = inputs.tables["reliability"].copy()
    rel["_order"] = rel["scale"].map({s: i for i, s in enumerate(SCALES)})
    rel["_wave"] = rel["wave"].astype(str).replace({"all": "9999"})
    rows, any_small = [], False
    for r in rel.sort_values(["_order", "_wave"], kind="mergesort").itertuples(index=False):
        wave = t("fig.all_waves") if str(r.wave) == "all" else str(r.wave)
        small = is_small(r.n, m)
        any_small |= bool(small)
        values = (
            [suppressed_cell(t, m)] * 3
            if small
            else [num_cell(t, r.alpha), Cell(t.ci(r.alpha_ci_low, r.alpha_ci_high), numeric=True), num_cell(t, r.omega)]
        )
        rows.append(
            [Cell(f"{t.scale(r.scale)} ({r.scale})"), Cell(wave), int_cell(t, r.n), int_cell(t, r.n_items), *values]
        )
    b.heading("sub.reliability", level=2)
    b.table(
        t("sub.reliability"),
        col(t, "scale", "wave", "n", "n_items", "alpha", "alpha_ci", "omega"),
        rows,
        note=t("table.suppressed_note", min=m) if any_small else "",
    )
    cfa = inputs.tables["cfa_fit"]
    rows = [
        [
            Cell(t.get(f"models.{r.model}", str(r.model))),
            int_cell(t, r.n),
            num_cell(t, r.chi2, 1),
            int_cell(t, r.df),
            p_cell(t, r.p_value),
            num_cell(t, r.cfi, 3),
            num_cell(t, r.tli, 3),
            num_cell(t, r.rmsea, 3),
            num_cell(t, r.srmr, 3),
        ]
        for r in cfa.itertuples(index=False)
    ]
    b.heading("sub.cfa", level=2)
    b.table(
        t("sub.cfa"),
        col(t, "model", "n", "chi2", "df", "p", "cfi", "tli", "rmsea", "srmr"),
        rows,
        note=cfa_note(t, cfa, sum(len(items) for items in inputs.questionnaire.scales.values())),
    )


def cfa_note(t: Translator, cfa: pd.DataFrame, n_items: int) -> str:
    """Which responses each CFA row uses (FIML: all that answered an item; listwise: complete ones)."""
    if "missing" not in cfa or "fiml" not in set(cfa["missing"]):
        return ""
    full = cfa[cfa["missing"] == "fiml"].iloc[0]
    count = {k: format_int(full[k], t.language) for k in ("n", "n_responses", "n_complete")}
    return t("text.cfa_sample", **count, n_items=n_items)
