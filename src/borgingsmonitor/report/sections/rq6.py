"""RQ6: the survival of the partnerships and the funding claim."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.mechanisms.survival import funding_claim, registry_counts
from borgingsmonitor.models.hypotheses import ANALYSES, ids_reading
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import (
    Builder,
    Cell,
    ReportInputs,
    alpha_of,
    col,
    int_cell,
    num_cell,
    odds_ratio,
    p_cell,
    report_claims,
)
from borgingsmonitor.report.sections.hypotheses import not_estimable_reason
from borgingsmonitor.report.translate import Translator, format_int, is_missing


def funding_sentence(t: Translator, inputs: ReportInputs) -> str:
    surv = inputs.tables.get("survival")
    if surv is None or surv.empty:
        return ""
    claim = funding_claim(surv, alpha_of(inputs))  # the numbers; whether the sentence may claim: the claims table
    status = C.funding_status(report_claims(inputs))
    return t(
        f"survival_claims.after_funding_{status}",
        hr=t.num(odds_ratio(claim["estimate"])),
        p=t.p_eq(claim["p_value"]),
        ci=t.ci(odds_ratio(claim["ci_low"]), odds_ratio(claim["ci_high"])),
    )


def registry_sentence(t: Translator, inputs: ReportInputs) -> str:
    surv = inputs.tables.get("survival")
    counts = {} if surv is None or surv.empty else registry_counts(surv)
    if "partnerships" not in counts:
        return ""
    n = {k: format_int(v[0], t.language) for k, v in counts.items()}
    return t(
        "survival_claims.registry",
        n=n["partnerships"],
        never=n.get("never_surveyed", "0"),
        stopped=n.get("stopped", "0"),
        stopped_never=n.get("stopped_never_surveyed", "0"),
        ids=counts.get("stopped", (0, ""))[1] or "–",
    )


def section_rq6(b: Builder, inputs: ReportInputs):
    t, surv = b.t, inputs.tables["survival"]
    b.heading("sections.rq6", anchor="rq6")
    b.para(" ".join(p for p in (t("text.rq6_intro"), registry_sentence(t, inputs)) if p))
    b.figure(inputs.figures.get("survival_km"), t("fig.km.title"))
    model = surv["model"].astype(str)
    hazard = surv[~model.isin(["kaplan_meier", "registry"]) & (surv["term"].astype(str).str.lower() != "intercept")]
    hazard = hazard[pd.to_numeric(hazard["estimate"], errors="coerce").notna()]
    if hazard.empty:
        tested = ids_reading(inputs.hypotheses, ANALYSES["survival"].table)
        b.para(not_estimable_reason(t, inputs, tested[0]) if tested else t("not_estimable.missing"))
    else:
        rows = [
            [
                Cell(t.get(f"models.{r.model}", str(r.model))),
                Cell(t.term(str(r.term))),
                num_cell(t, odds_ratio(r.estimate)),
                Cell(t.ci(odds_ratio(r.ci_low), odds_ratio(r.ci_high)), numeric=True),
                p_cell(t, r.p_value),
                int_cell(t, r.n_partnerships),
                int_cell(t, r.n_events),
            ]
            for r in hazard.itertuples(index=False)
        ]
        b.table(
            t("sections.rq6"),
            col(t, "model", "term", "hazard_or_odds_ratio", "ci", "p", "n_partnerships", "n_events"),
            rows,
            note=t("text.survival_note"),
        )
    b.para(funding_sentence(t, inputs))
    logrank = surv[(model == "kaplan_meier") & surv["term"].astype(str).str.startswith("logrank")]
    for r in logrank.itertuples(index=False):
        if not is_missing(r.p_value):
            b.para(f"{t.term(str(r.term))}: χ² = {t.num(r.estimate)}, p {t.p_eq(r.p_value)}.")
