"""The methods section: the models in words, the seeds, the attrition and the multiple-testing rule."""

from __future__ import annotations

import re

import pandas as pd

from borgingsmonitor.core.contracts import MAIN_MODEL
from borgingsmonitor.core.disclosure import secondary_suppression
from borgingsmonitor.models.hypotheses import id_range
from borgingsmonitor.report.document import Builder, Cell, ReportInputs, int_cell, suppressed_cell
from borgingsmonitor.report.figures import attrition_totals, region_label
from borgingsmonitor.report.sections.hypotheses import hypothesis_rows
from borgingsmonitor.report.sections.rq3 import model_label
from borgingsmonitor.report.translate import Translator, format_int


def find_seeds(config, prefix: str = "") -> dict[str, object]:
    """Every config key that names a seed, with its dotted path (list entries by their name)."""
    seeds = {}
    if isinstance(config, dict):
        for key, value in config.items():
            path = f"{prefix}{key}"
            if "seed" in str(key).lower() and not isinstance(value, (dict, list)):
                seeds[path] = value
            seeds.update(find_seeds(value, path + "."))
    elif isinstance(config, list):
        for i, value in enumerate(config):
            name = value.get("name", i) if isinstance(value, dict) else i
            seeds.update(find_seeds(value, f"{prefix[:-1]}[{name}]."))
    return dict(sorted(seeds.items()))


def model_specs(inputs: ReportInputs) -> dict[str, dict]:
    specs = inputs.provenance.get("config", {}).get("models", []) or []
    return {m["name"]: m for m in specs if isinstance(m, dict) and "name" in m}


def method_text(t: Translator, name: str, spec: dict | None) -> str:
    """What a model does, in the report language, from its declaration (or its conventional name)."""
    spec = spec or {}
    if name == "network_dip":
        return t("method_kind.network_dip")
    if spec.get("estimator") == "ordered_logit_mixed" or name.startswith("ordinal_mixed_"):
        n_agq = int(spec.get("n_agq", 1))
        how = t("method_kind.ordinal_mixed_agq", n=n_agq) if n_agq > 1 else t("method_kind.ordinal_mixed_laplace")
        return t("method_kind.ordinal_mixed", approximation=how)
    if spec.get("family") == "ordinal" or name.startswith("ordinal_"):
        return t("method_kind.ordinal")
    if spec.get("imputation") or name.endswith("_mi"):
        m = (spec.get("imputation") or {}).get("m")
        return t("method_kind.mixed_mi", m=m) if m else t("method_kind.mixed_mi_plain")
    if spec.get("decompose"):
        return t("method_kind.hybrid")
    if spec.get("standardise") or name.endswith("_std"):
        return t("method_kind.mixed_std")
    if spec.get("family") == "gaussian" or name == MAIN_MODEL:
        return t("method_kind.mixed")
    return t("method_kind.other")


def formula_in_words(t: Translator, formula: str) -> str:
    """`DUR ~ REL + FAC + C(wave)` as "Duurzaamheid (DUR) from Relationele condities (REL), ..., Jaar
    (meting) (categories)": the report shows what a model explains, not its code."""
    outcome, _, predictors = formula.partition("~")

    def words(term: str) -> str:
        term = term.strip()
        match = re.fullmatch(r"C\((\w+)\)", term)
        if match:
            return t("text.categorical", name=t.term(match.group(1)))
        if term in (t.questionnaire.item_codes if t.questionnaire else ()):
            return f"‘{t.item(term)}’"
        return t.term(term)

    terms = [words(x) for x in predictors.split("+") if x.strip() and x.strip() not in ("1", "0")]
    return t("text.formula_words", outcome=words(outcome), predictors="; ".join(terms))


def model_lines(t: Translator, inputs: ReportInputs) -> list[str]:
    specs = model_specs(inputs)
    models = inputs.tables["models"].drop_duplicates("model")
    order = {name: i for i, name in enumerate(specs)}
    models = models.assign(_o=models["model"].map(order).fillna(len(order))).sort_values(["_o", "model"])
    lines = []
    for r in models.itertuples(index=False):
        spec = specs.get(r.model)
        fields = {
            "model": model_label(t, r.model, inputs.questionnaire),
            "method": method_text(t, r.model, spec),
            "n_obs": format_int(r.n_obs, t.language),
        }
        if spec and spec.get("formula"):
            lines.append(t("text.model_line_formula", formula=formula_in_words(t, spec["formula"]), **fields))
        else:
            lines.append(t("text.model_line", **fields))
    return lines


def attrition_rows(
    t: Translator, att: pd.DataFrame, names: dict, min_group_size: int
) -> tuple[list[str], list[list[Cell]]]:
    """Rows = raw rows, each exclusion reason, analysed; columns = regions and the total. Counts under
    the minimum are hidden, with as many more as stop them being recovered from the sums."""
    raw, totals, analysed = attrition_totals(att)
    per_region = att.groupby("region", sort=True)[["raw_rows", *totals, "analysed"]].sum()
    columns = [t("col.rows"), *(region_label(r, names) for r in per_region.index), t("table.total")]
    labels = {
        "raw_rows": t("col.raw_rows"),
        "analysed": t("col.analysed"),
        **{k: t.get(f"reasons.{k}", k) for k in totals},
    }
    overall = {"raw_rows": raw, "analysed": analysed, **totals}
    keys = ["raw_rows", *totals, "analysed"]
    hidden = hidden_counts(per_region, overall, keys, min_group_size)
    rows = [
        [
            Cell(labels[k]),
            *(
                suppressed_cell(t, min_group_size) if (k, r) in hidden else int_cell(t, v)
                for r, v in per_region[k].items()
            ),
            suppressed_cell(t, min_group_size) if (k, TOTAL) in hidden else int_cell(t, overall[k]),
        ]
        for k in keys
    ]
    return columns, rows


TOTAL = "\ttotal"  # a column key no region can have


def hidden_counts(per_region: pd.DataFrame, overall: dict, keys: list[str], min_group_size: int) -> set:
    """Counts of 1 to min-1 and the cells that protect them: raw = reasons + analysed in every column,
    and each row's total = the sum of its regions."""
    columns = [*per_region.index, TOTAL]
    n = {(k, r): int(per_region.at[r, k]) for k in keys for r in per_region.index}
    n.update({(k, TOTAL): int(overall[k]) for k in keys})
    relations = [(("raw_rows", r), [(k, r) for k in keys if k != "raw_rows"]) for r in columns]
    relations += [((k, TOTAL), [(k, r) for r in per_region.index]) for k in keys]
    return secondary_suppression(n, relations, min_group_size, show_zero=True)


def multiple_testing_text(t: Translator, inputs: ReportInputs) -> str:
    """Which p-values are adjusted together: one family, or each declared family in turn."""
    families: dict[str, list[str]] = {}
    for h in inputs.hypotheses:
        families.setdefault(h.family, []).append(h.id)
    if len(families) > 1:
        return t("text.multiple_testing_families", families="; ".join(id_range(ids) for ids in families.values()))
    ids = next(iter(families.values()), [h.hypothesis for h in hypothesis_rows(inputs)])
    return t("text.multiple_testing", hypotheses=id_range(ids))


def section_methods(b: Builder, inputs: ReportInputs):
    t, att = b.t, inputs.tables["attrition"]
    b.heading("sections.methods", anchor="methods")
    b.heading("sub.data", level=2)
    raw, _totals, analysed = attrition_totals(att)
    waves = sorted(int(w) for w in att["wave"].unique()) if not att.empty else []
    b.para(
        t(
            "text.data_sources",
            regions=t.count("regions", att["region"].nunique()),
            waves=", ".join(map(str, waves)),
            raw=format_int(raw, t.language),
            analysed=format_int(analysed, t.language),
        )
    )
    b.figure(inputs.figures.get("attrition_flow"), t("fig.attrition.title"))
    columns, rows = attrition_rows(t, att, inputs.region_names, inputs.min_group_size)
    hidden = any(c.suppressed for row in rows for c in row)
    note = " ".join(
        [t("text.attrition_note"), *([t("table.suppressed_note", min=inputs.min_group_size)] if hidden else [])]
    )
    b.table(t("sub.data"), columns, rows, note=note)
    b.heading("sub.scoring", level=2)
    reverse = "; ".join(f"‘{t.item(code)}’" for code in inputs.questionnaire.reverse_items)
    b.para(t("text.scoring", reverse=reverse))
    b.heading("sub.analyses", level=2)
    b.para(t("text.models_declared"))
    b.bullets(model_lines(t, inputs))
    b.para(multiple_testing_text(t, inputs))
    med = inputs.tables["mediation"]
    if "n_boot" in med and med["n_boot"].notna().any():
        b.para(t("text.bootstrap", n_boot=format_int(med["n_boot"].dropna().max(), t.language)))
    seeds = find_seeds(inputs.provenance.get("config", {}))
    b.para(t("text.seeds", seeds=", ".join(f"{k} = {v}" for k, v in seeds.items())) if seeds else t("text.no_seeds"))
    b.heading("sub.privacy", level=2)
    b.para(t("text.privacy", min=inputs.min_group_size))
