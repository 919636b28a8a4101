"""RQ3: the conditions models, their variance terms and the sensitivity models."""

from __future__ import annotations

import re

import pandas as pd

from borgingsmonitor.core.contracts import MAIN_MODEL, RANDOM_REGIONS_FROM
from borgingsmonitor.models.hypotheses import Hypothesis
from borgingsmonitor.models.table import DIFFERENCE, VARIANCE_TERMS
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.document import (
    Builder,
    Cell,
    ReportInputs,
    alpha_of,
    col,
    num_cell,
    p_cell,
    report_claims,
)
from borgingsmonitor.report.figures import CONDITIONS, region_label, titled
from borgingsmonitor.report.translate import Translator, format_int, is_missing

# rows of models.csv that are not fixed effects: variance components (var_, sd_), ICCs, cut points, MI diagnostics
NOT_FIXED_PREFIXES = ("cut_", "df_barnard_rubin:", "lambda:", "var_", "sd_", "icc_", "design_effect", DIFFERENCE)
VARIANCE_PREFIXES = ("var_", "icc_", "design_effect")
CATEGORY_TERM = re.compile(r"^C\((\w+)\)\[T\.(.+)\]$")


def fixed_effects(models: pd.DataFrame, model: str) -> pd.DataFrame:
    """The fixed-effect rows of one model: no variance components, ICCs, cut points or MI diagnostics."""
    rows = models[models["model"] == model]
    terms = rows["term"].astype(str)
    return rows[~terms.isin(VARIANCE_TERMS) & ~terms.str.startswith(NOT_FIXED_PREFIXES)]


def term_label(t: Translator, term: str, references: dict | None = None) -> str:
    """A model term in the report language; C(wave)[T.2024] becomes 'Year 2024 (vs 2023)'."""
    match = CATEGORY_TERM.match(str(term))
    if not match:
        return t.term(str(term))
    name, level = t.term(match.group(1)), match.group(2)
    reference = (references or {}).get(match.group(1))
    if reference is None:
        return t("terms.category_plain", name=name, level=level)
    key = f"terms.levels.{match.group(1)}"
    return t(key if key in t.strings else "terms.category", name=name, level=level, reference=reference)


def term_references(inputs: ReportInputs) -> dict:
    """The reference level of each categorical term: the first wave, the first region (patsy's order)."""
    waves = inputs.responses["wave"].dropna()
    refs = {"wave": str(int(waves.min()))} if not waves.empty else {}
    regions = sorted(inputs.responses["region"].dropna().astype(str).unique()) if "region" in inputs.responses else []
    if regions:
        refs["region"] = region_label(regions[0], inputs.region_names)
    return refs


def fixed_term_label(t: Translator, term: str, inputs: ReportInputs, references: dict) -> str:
    """term_label, with a fixed region's slug shown as the region's name (`references`: term_references)."""
    match = CATEGORY_TERM.match(str(term))
    if match and match.group(1) == "region":
        name = region_label(match.group(2), inputs.region_names)
        return t("terms.category", name=t.term("region"), level=name, reference=references["region"])
    return term_label(t, term, references)


def model_rows(t: Translator, models: pd.DataFrame, references: dict | None = None) -> list[list[Cell]]:
    """The registered pooled model's fixed effects, unstandardised and standardised."""
    main = fixed_effects(models, MAIN_MODEL)
    std = fixed_effects(models, "conditions_mixed_std").set_index("term")
    rows = []
    for r in main.itertuples(index=False):
        s = std.loc[r.term] if r.term in std.index else None
        rows.append(
            [
                Cell(term_label(t, r.term, references)),
                num_cell(t, r.estimate),
                Cell(t.ci(r.ci_low, r.ci_high), numeric=True),
                num_cell(t, None if s is None else s["estimate"]),
                Cell("" if s is None else t.ci(s["ci_low"], s["ci_high"]), numeric=True),
                p_cell(t, r.p_value),
            ]
        )
    return rows


def variance_rows(t: Translator, models: pd.DataFrame, model: str = MAIN_MODEL) -> list[list[Cell]]:
    """A model's variance components, ICCs and design effects, in models.csv order."""
    rows = models[(models["model"] == model) & models["term"].astype(str).str.startswith(VARIANCE_PREFIXES)]
    values = dict(zip(rows["term"], pd.to_numeric(rows["estimate"], errors="coerce")))
    digits = {"design_effect": 1, "design_effect_nested": 1}
    return [
        [Cell(t.term(term)), num_cell(t, values[term], digits.get(term, 3)), Cell(t.get(f"variance.{term}", ""))]
        for term in values
        if not is_missing(values[term])
    ]


# ordinal models are named <prefix><item code>; the first matching prefix picks the label
ORDINAL_LABELS = (("ordinal_mixed_", "models.ordinal_mixed"), ("ordinal_", "models.ordinal"))


def model_label(t: Translator, model: str, questionnaire=None) -> str:
    """A declared model's name for a reader; ordinal models name the statement they model."""
    for prefix, key in ORDINAL_LABELS:
        item = model[len(prefix) :]
        if model.startswith(prefix) and item in getattr(questionnaire, "item_codes", []):
            return t(key, item=t.item(item))
    return t.get(f"models.{model}", model)


# --- RQ3: the model the declared hypotheses read, and its sensitivity analyses -------------------------


def condition_hypotheses(inputs: ReportInputs) -> list[Hypothesis]:
    return C.condition_hypotheses(inputs.hypotheses)


def hypothesis_model(inputs: ReportInputs) -> str:
    """The model the hypotheses read (Amendment 1: the hybrid); the registered model where none is declared."""
    hs = condition_hypotheses(inputs)
    return hs[0].model if hs else MAIN_MODEL


def condition_of(term: str) -> str:
    return C.pooled_term(term)[: -len(C.WITHIN)] if term.endswith(C.WITHIN) else C.pooled_term(term)


def level_of(t: Translator, term: str) -> str:
    for suffix, key in ((C.BETWEEN, "level.between"), (C.WITHIN, "level.within")):
        if term.endswith(suffix):
            return t(key)
    return ""


def effect_cells(t: Translator, r) -> list[Cell]:
    return [
        num_cell(t, r["estimate"]),
        Cell(t.ci(r["ci_low"], r["ci_high"]), numeric=True),
        num_cell(t, r.get("df"), 1),
        p_cell(t, r["p_value"]),
        p_cell(t, r["p_adjusted"]),
    ]


def hybrid_rows(t: Translator, inputs: ReportInputs, model: str) -> list[list[Cell]]:
    """Per hypothesis its between and within effect, then the model's other fixed effects."""
    fixed = fixed_effects(inputs.tables["models"], model).drop_duplicates("term").set_index("term")
    ids = {h.term: h.id for h in condition_hypotheses(inputs)}
    shown, rows = [], []
    for term, hid in ids.items():
        for part in (term, condition_of(term) + C.WITHIN):
            if part in fixed.index and part not in shown:
                shown.append(part)
                label = f"{hid}. {t.term(condition_of(part))}" if part == term else t.term(condition_of(part))
                rows.append([Cell(label), Cell(level_of(t, part)), *effect_cells(t, fixed.loc[part])])
    references = term_references(inputs)
    for term in fixed.index:
        if term not in shown:
            rows.append(
                [Cell(fixed_term_label(t, term, inputs, references)), Cell(""), *effect_cells(t, fixed.loc[term])]
            )
    return rows


def region_sentence(t: Translator, method) -> str:
    """How the model took region in, read from its `method` (models/declared.py writes it)."""
    text = str(method)
    match = re.search(r"region (fixed|random)\D*?\((\d+) regions", text)
    if not match:
        return ""
    how, n = match.groups()
    if how == "random":
        return t("text.rq3_region_random", n=n, threshold=RANDOM_REGIONS_FROM)
    key = "text.rq3_region_fixed_declared" if "declared fixed" in text else "text.rq3_region_fixed"
    return t(key, n=n, threshold=RANDOM_REGIONS_FROM)


def section_rq3(b: Builder, inputs: ReportInputs):
    t, models = b.t, inputs.tables["models"]
    b.heading("sections.rq3", anchor="rq3")
    name = hypothesis_model(inputs)
    main = models[models["model"] == name]
    b.para(t("text.rq3_intro_hybrid") if name != MAIN_MODEL else t("text.rq3_intro"))
    b.figure(inputs.figures.get("forest_conditions"), titled(t, "fig.forest.title", inputs.hypotheses))
    b.heading("sub.main_model", level=2)
    if not main.empty:
        region = region_sentence(t, main["method"].iloc[0])
        if region:
            b.para(region)
        note = t(
            "text.rq3_hybrid_note",
            n_obs=format_int(main["n_obs"].iloc[0], t.language),
            n_groups=format_int(main["n_groups"].iloc[0], t.language),
        )
        b.table(
            model_label(t, name),
            [t("col.term"), t("col.level"), t("col.b"), t("col.ci"), t("col.df"), t("col.p"), t("col.p_adjusted")],
            hybrid_rows(t, inputs, name),
            note=note,
        )
    variance = variance_rows(t, models, name)
    if variance:
        b.heading("sub.variance", level=2)
        b.para(t("variance.intro"))
        b.table(t("sub.variance"), col(t, "quantity", "value", "meaning"), variance)
    section_rq3_sensitivity(b, inputs, name)


def section_rq3_sensitivity(b: Builder, inputs: ReportInputs, name: str):
    t, models = b.t, inputs.tables["models"]
    rows = sensitivity_rows(t, inputs, name)
    if len(rows) <= 1:
        return
    b.heading("sub.sensitivity", level=2)
    b.para(" ".join([t("text.rq3_sensitivity_intro"), sensitivity_sentence(t, inputs)]))
    b.table(
        t("sub.sensitivity"), [t("col.model"), *sensitivity_columns(t, inputs, name)], rows, note=t("sensitivity.note")
    )
    if name != MAIN_MODEL and not models[models["model"] == MAIN_MODEL].empty:
        registered = models[models["model"] == MAIN_MODEL]
        note = t(
            "text.rq3_model_note",
            n_obs=format_int(registered["n_obs"].iloc[0], t.language),
            n_groups=format_int(registered["n_groups"].iloc[0], t.language),
        )
        b.table(
            t(f"models.{MAIN_MODEL}"),
            [t("col.term"), t("col.b"), t("col.ci"), t("col.beta"), t("col.ci"), t("col.p")],
            model_rows(t, models, term_references(inputs)),
            note=note,
        )
        variance = variance_rows(t, models, MAIN_MODEL)
        if variance:
            b.table(t("sub.variance_registered"), col(t, "quantity", "value", "meaning"), variance)


def sensitivity_terms(inputs: ReportInputs, name: str) -> list[tuple[str, list[str]]]:
    """(model, its term for each column): the hypothesis model first, then each model estimating every
    column's condition: split models, the registered one, the rest."""
    hs = condition_hypotheses(inputs)
    terms = [h.term for h in hs] if hs else list(CONDITIONS)
    models = inputs.tables["models"]
    out = []
    for model in dict.fromkeys(models["model"].astype(str)):
        have = set(models.loc[models["model"] == model, "term"].astype(str))
        picked = [x if x in have else C.pooled_term(x) for x in terms]
        if model not in C.NOT_SENSITIVITY and set(picked) <= have:
            out.append((model, picked))
    return sorted(
        out,
        key=lambda mt: (mt[0] != name, mt[1] != terms, mt[0] != MAIN_MODEL, not mt[0].startswith(MAIN_MODEL), mt[0]),
    )


def sensitivity_columns(t: Translator, inputs: ReportInputs, name: str) -> list[str]:
    ids = {h.term: h.id for h in condition_hypotheses(inputs)}
    columns = []
    hs = condition_hypotheses(inputs)
    for term in [h.term for h in hs] if hs else CONDITIONS:
        label = f"{t.scale(condition_of(term))} ({condition_of(term)})"
        columns.append(f"{ids[term]}: {label}" if term in ids else label)
    return columns


def sensitivity_label(t: Translator, model: str, name: str, questionnaire=None) -> str:
    labels = {
        name: t("sensitivity.hypothesis_model"),
        MAIN_MODEL: t("sensitivity.main"),
        "conditions_mixed_mi": t("sensitivity.mi"),
    }
    return labels.get(model) or model_label(t, model, questionnaire)


def sensitivity_rows(t: Translator, inputs: ReportInputs, name: str) -> list[list[Cell]]:
    """Each model's estimate [CI] of every column's condition; † where its conclusion differs from the
    hypothesis model's (sign where p < alpha, else not significant: report/claims.py)."""
    models, alpha = inputs.tables["models"], alpha_of(inputs)
    listed = sensitivity_terms(inputs, name)
    rows, own = [], None
    for model, terms in listed:
        frame = models[models["model"] == model].drop_duplicates("term").set_index("term")
        found = [C.conclusion(frame.loc[term], alpha) for term in terms]
        own = found if own is None else own
        cells = [Cell(sensitivity_label(t, model, name, inputs.questionnaire))]
        for term, seen, first in zip(terms, found, own):
            r = frame.loc[term]
            if seen is None:
                cells.append(Cell("–", numeric=True))
                continue
            mark = " †" if first is not None and seen != first else ""
            cells.append(Cell(f"{t.num(r['estimate'])} {t.ci(r['ci_low'], r['ci_high'])}{mark}".strip(), numeric=True))
        rows.append(cells)
    return rows


def sensitivity_sentence(t: Translator, inputs: ReportInputs) -> str:
    """Whether each hypothesis' conclusion is the same in every model, from the claims table."""
    claims = report_claims(inputs)
    if C.ALL_MODELS + ":same_across_models" not in set(claims["claim"]):
        return ""
    if C.holds(claims, C.ALL_MODELS + ":same_across_models"):
        return t("text.rq3_sensitivity_same", alpha=t.num(alpha_of(inputs)))
    differing = C.differing(claims)
    by_id = {h.id: h for h in condition_hypotheses(inputs)}
    names = ", ".join(f"{hid} ({condition_of(by_id[hid].term)})" if hid in by_id else hid for hid in differing)
    return t("text.rq3_sensitivity_differs", hypotheses=names, alpha=t.num(alpha_of(inputs)))
