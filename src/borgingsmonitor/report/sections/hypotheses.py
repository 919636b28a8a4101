"""The hypotheses section and the per-hypothesis texts the summary and the other sections reuse."""

from __future__ import annotations

from pathlib import Path

from borgingsmonitor.models.hypotheses import Hypothesis, pick
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import Builder, Cell, ReportInputs, p_cell, report_claims
from borgingsmonitor.report.translate import Translator, format_int, is_missing


def is_supported(inputs: ReportInputs, h) -> bool:
    return C.holds(report_claims(inputs), f"{h.hypothesis}:supported")


def declaration(inputs: ReportInputs, hypothesis: str) -> Hypothesis | None:
    return next((h for h in inputs.hypotheses if h.id == hypothesis), None)


def hypothesis_source_row(inputs: ReportInputs, hypothesis: str):
    """The row behind a hypothesis, picked as models/hypotheses.py picks it (models.csv gathers the models)."""
    h = declaration(inputs, hypothesis)
    if h is None:
        return None
    return pick(inputs.tables.get("models" if h.in_models_table else Path(h.source).stem), h)


def hypothesis_rows(inputs: ReportInputs) -> list:
    """The rows of hypotheses.csv in the order declared (by id where there is no declaration)."""
    table = inputs.tables["hypotheses"]
    order = {h.id: i for i, h in enumerate(inputs.hypotheses)}
    rank = table["hypothesis"].map(order).fillna(len(order))
    table = table.assign(_rank=rank).sort_values(["_rank", "hypothesis"], kind="stable").drop(columns="_rank")
    return list(table.itertuples(index=False))


def in_language(t: Translator, texts: dict | None, default: str) -> str:
    return (texts or {}).get(t.language) or default


def is_testable(h) -> bool:
    return str(h.supported) != "not_testable" and not (is_missing(h.estimate) and is_missing(h.p_value))


def not_estimable_reason(t: Translator, inputs: ReportInputs, hypothesis: str) -> str:
    """Why a hypothesis has no estimate, from the numbers behind it (n_events, n_at_risk)."""
    row = hypothesis_source_row(inputs, hypothesis)
    if row is None or "n_events" not in row.index or is_missing(row.get("n_events")):
        return t("not_estimable.missing")
    n_events = int(row["n_events"])
    n_years = row.get("n_at_risk")
    if n_events == 0:
        if is_missing(n_years) or is_missing(row.get("n_partnerships")):
            return t("not_estimable.no_stops")
        return t(
            "not_estimable.no_stops_counts",
            n_years=format_int(n_years, t.language),
            n_partnerships=format_int(row["n_partnerships"], t.language),
        )
    if not is_missing(n_years) and n_events >= int(n_years):
        return t("not_estimable.all_stopped")
    return t("not_estimable.missing")


def hypothesis_test_text(t: Translator, inputs: ReportInputs, h) -> str:
    declared_as = declaration(inputs, h.hypothesis)
    return in_language(t, declared_as and declared_as.test_wording, str(h.test))


def hypothesis_statement(t: Translator, inputs: ReportInputs, h) -> str:
    declared_as = declaration(inputs, h.hypothesis)
    return in_language(t, declared_as and declared_as.statement, "")


def is_chi2(inputs: ReportInputs, h) -> bool:
    declared_as = declaration(inputs, h.hypothesis)
    return declared_as is not None and declared_as.estimate == "chi2"


def hypothesis_estimate_text(t: Translator, inputs: ReportInputs, h) -> str:
    if is_missing(h.estimate):
        return "–"
    if is_chi2(inputs, h):
        return t("hypothesis_estimate.chi2", estimate=t.num(h.estimate))
    return f"{t.num(h.estimate)} {t.ci(h.ci_low, h.ci_high)}".strip()


def section_hypotheses(b: Builder, inputs: ReportInputs):
    t = b.t
    b.heading("sections.hypotheses", anchor="hypotheses")
    b.para(t("text.hypotheses_intro"))
    rows, reasons = [], []
    for h in hypothesis_rows(inputs):
        if is_testable(h):
            verdict = t("table.yes") if is_supported(inputs, h) else t("table.no")
        else:
            verdict = t("table.not_testable")
            reasons.append(f"{h.hypothesis}: {not_estimable_reason(t, inputs, h.hypothesis)}")
        rows.append(
            [
                Cell(f"{h.hypothesis}. {hypothesis_statement(t, inputs, h)}"),
                Cell(hypothesis_test_text(t, inputs, h)),
                Cell(hypothesis_estimate_text(t, inputs, h), numeric=True),
                p_cell(t, h.p_value),
                p_cell(t, h.p_adjusted),
                Cell(verdict),
            ]
        )
    b.table(
        t("sections.hypotheses"),
        [
            t("col.hypothesis"),
            t("col.test"),
            f"{t('col.estimate')} {t('col.ci')}",
            t("col.p"),
            t("col.p_adjusted"),
            t("col.supported"),
        ],
        rows,
        note=" ".join(reasons),
    )
