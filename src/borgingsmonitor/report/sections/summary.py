"""The summary: one paragraph per hypothesis, with its estimate, its claim and its caveats."""

from __future__ import annotations

import pandas as pd

from borgingsmonitor.models.hypotheses import ANALYSES
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import Builder, ReportInputs, report_claims
from borgingsmonitor.report.sections.hypotheses import (
    declaration,
    hypothesis_rows,
    hypothesis_statement,
    hypothesis_test_text,
    in_language,
    is_chi2,
    is_supported,
    is_testable,
    not_estimable_reason,
)
from borgingsmonitor.report.sections.rq4 import mediation_levels_text
from borgingsmonitor.report.sections.rq6 import funding_sentence, registry_sentence
from borgingsmonitor.report.translate import Translator, format_int, is_missing


def hypothesis_summary(t: Translator, inputs: ReportInputs, h) -> str:
    # a claim may hold less than the statement: a part with its own test is claimed from that test only
    text = hypothesis_claim(t, inputs, h) or hypothesis_statement(t, inputs, h) or hypothesis_test_text(t, inputs, h)
    extra = survival_sentences(t, inputs) if reads_analysis(inputs, h, "survival") else ""
    if not is_testable(h):
        return (
            t(
                "summary.hypothesis_not_testable",
                hypothesis=h.hypothesis,
                text=text,
                reason=not_estimable_reason(t, inputs, h.hypothesis),
            )
            + extra
        )
    key = "summary.hypothesis_supported" if is_supported(inputs, h) else "summary.hypothesis_not_supported"
    levels = mediation_levels_text(t, inputs.tables["mediation"]) if reads_analysis(inputs, h, "mediation") else ""
    return (
        " ".join(
            filter(
                None,
                [
                    t(key, hypothesis=h.hypothesis, text=text),
                    hypothesis_detail(t, inputs, h),
                    levels,
                    model_dependence(t, inputs, h),
                ],
            )
        )
        + extra
    )


def model_dependence(t: Translator, inputs: ReportInputs, h) -> str:
    """' The conclusion depends on the model' where its claim of robustness does not hold."""
    claims = report_claims(inputs)
    claim = f"{h.hypothesis}:same_across_models"
    if claim not in set(claims["claim"]) or C.holds(claims, claim):
        return ""
    return t("summary.depends_on_model")


def reads_analysis(inputs: ReportInputs, h, analysis: str) -> bool:
    declared_as = declaration(inputs, h.hypothesis)
    return declared_as is not None and declared_as.source == ANALYSES[analysis].table


def hypothesis_claim(t: Translator, inputs: ReportInputs, h) -> str:
    declared_as = declaration(inputs, h.hypothesis)
    return in_language(t, declared_as and declared_as.claim, "")


def survival_sentences(t: Translator, inputs: ReportInputs) -> str:
    """' <after-funding claim> <registry count>', each only from the numbers in survival.csv."""
    parts = [funding_sentence(t, inputs), registry_sentence(t, inputs)]
    return "".join(" " + p for p in parts if p)


def hypothesis_detail(t: Translator, inputs: ReportInputs, h) -> str:
    """'Estimate 0.34 [0.29; 0.39], adjusted p < 0.001.' with whatever part is missing left out."""
    parts = []
    if not is_missing(h.estimate):
        key = "summary.detail_estimate_lr" if is_chi2(inputs, h) else "summary.detail_estimate"
        parts.append(" ".join([t(key, estimate=t.num(h.estimate)), t.ci(h.ci_low, h.ci_high)]).strip())
    if not is_missing(h.p_adjusted):
        parts.append(t("summary.detail_p", p=t.p_eq(h.p_adjusted)))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def strongest_sentence(t: Translator, inputs: ReportInputs) -> str:
    """Which condition goes most with durability between partnerships: said only where its claim
    holds (claims.STRONGEST), with its difference from the next; otherwise the largest and the next
    with the caveat; empty without the claim."""
    models, claims = inputs.tables.get("models"), report_claims(inputs)
    if C.STRONGEST not in set(claims["claim"]):
        return ""
    ranked = C.ranked_between(inputs.hypotheses, models)
    top, following = ranked.iloc[0], ranked.iloc[1]
    model = C.condition_hypotheses(inputs.hypotheses)[0].model
    gap = C.difference(models, model, top["term"], following["term"])
    key = "summary.strongest" if C.holds(claims, C.STRONGEST) else "summary.strongest_not_shown"
    return t(
        key,
        scale=t.scale(C.pooled_term(top["term"])),
        estimate=t.num(top["estimate"]),
        ci=t.ci(top["ci_low"], top["ci_high"]),
        next=t.scale(C.pooled_term(following["term"])),
        next_estimate=t.num(following["estimate"]),
        next_ci=t.ci(following["ci_low"], following["ci_high"]),
        difference=t.num(gap["estimate"], 3),  # 3 digits: a bound of -0.004 is not "0.00"
        difference_ci=t.ci(gap["ci_low"], gap["ci_high"], 3),
    )


def section_summary(b: Builder, inputs: ReportInputs):
    t, r, chosen = b.t, inputs.responses, inputs.chosen_year
    year = chosen.year
    b.heading("sections.summary", anchor="summary")
    this_year = r[r["wave"] == year]
    waves = sorted(int(w) for w in r["wave"].dropna().unique())
    items = [
        t(
            "summary.data",
            year=year,
            n_year=format_int(len(this_year), t.language),
            partnerships=t.count("partnerships", this_year["partnership_id"].nunique()),
            regions=t.count("regions", this_year["region"].nunique()),
            waves=f"{waves[0]}–{waves[-1]}" if waves else "",
            n_all=format_int(len(r), t.language),
        )
    ]
    if chosen.missing:
        names = inputs.region_names
        items.append(t("summary.year_lacking", year=year, regions=", ".join(names.get(m, m) for m in chosen.missing)))
    rel = inputs.tables["reliability"]
    overall = rel[rel["wave"].astype(str) == "all"]
    if not overall.empty:
        alpha = pd.to_numeric(overall["alpha"], errors="coerce")
        low = overall.loc[alpha < 0.70, "scale"].tolist()
        fields = {"low": t.num(alpha.min()), "high": t.num(alpha.max())}
        items.append(
            t("summary.reliability_low", scales=", ".join(t.scale(s) for s in low), **fields)
            if low
            else t("summary.reliability_ok", **fields)
        )
    items.append(strongest_sentence(t, inputs))
    for h in hypothesis_rows(inputs):
        items.append(hypothesis_summary(t, inputs, h))
    b.bullets([item for item in items if item])
    b.para(t("summary.caution", min=inputs.min_group_size))
