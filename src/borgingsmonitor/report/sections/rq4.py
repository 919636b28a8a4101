"""RQ4: the mediation of the conditions through the process."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import Builder, Cell, ReportInputs, col, int_cell, num_cell, p_cell
from borgingsmonitor.report.figures import titled
from borgingsmonitor.report.translate import Translator


def mediation_levels_text(t: Translator, med: pd.DataFrame) -> str:
    """What the multilevel indirect effects license: at each level 'shown' only when the interval
    lies above 0; empty when the table has no multilevel rows."""
    claims = C.claims_table([], {"mediation": med})
    rows = med.set_index("effect") if "effect" in med else pd.DataFrame()
    parts = []
    for level in ("between", "within"):
        if f"mediation:indirect_{level}" not in set(claims["claim"]):
            return ""
        r = rows.loc[f"indirect_{level}"]
        shown = "shown" if C.holds(claims, f"mediation:indirect_{level}") else "not_shown"
        parts.append(t(f"text.rq4_{level}_{shown}", estimate=t.num(r["estimate"]), ci=t.ci(r["ci_low"], r["ci_high"])))
    return " ".join(parts)


def section_rq4(b: Builder, inputs: ReportInputs):
    t, med = b.t, inputs.tables["mediation"]
    b.heading("sections.rq4", anchor="rq4")
    b.para(t("text.rq4_intro"))
    title = titled(t, "fig.mediation.title", inputs.hypotheses)
    b.figure(inputs.figures.get("mediation_paths"), title)
    rows = [
        [
            Cell(t.get(f"effects.{r.effect}", str(r.effect))),
            num_cell(t, r.estimate),
            Cell(t.ci(r.ci_low, r.ci_high), numeric=True),
            p_cell(t, r.p_value),
            int_cell(t, r.n_boot),
        ]
        for r in med.itertuples(index=False)
    ]
    b.table(title, col(t, "effect", "estimate", "ci", "p", "n_boot"), rows)
    levels = mediation_levels_text(t, med)
    if levels:
        b.para(levels)
