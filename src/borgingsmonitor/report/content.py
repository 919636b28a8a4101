"""The annual report as a language-neutral list of blocks, rendered by html.py and docx.py alike.

Both renderers walk the same `ReportDocument`, so the HTML and the Word report cannot drift apart.
All words come from the translation files; this module only arranges numbers and keys.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from borgingsmonitor.core.contracts import MAIN_MODEL, RANDOM_REGIONS_FROM
from borgingsmonitor.core.disclosure import is_small, secondary_suppression
from borgingsmonitor.core.questionnaire import SCALES, load_questionnaire
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.mechanisms.survival import funding_claim, registry_counts
from borgingsmonitor.models.hypotheses import ANALYSES, Hypothesis, declared, id_range, ids_reading, pick
from borgingsmonitor.models.table import VARIANCE_TERMS
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.figures import CONDITIONS, attrition_totals, few_partnership_ages, region_label, titled
from borgingsmonitor.report.translate import Translator, format_int, is_missing
from borgingsmonitor.report.year import choose_report_year

TABLE_FILES = (
    "reliability",
    "cfa_fit",
    "descriptives",
    "models",
    "mediation",
    "network_dip",
    "survival",
    "hypotheses",
    "attrition",
)
OPTIONAL_TABLE_FILES = ("network_dip_contrasts",)
GROUP_TYPES = ("region", "wave", "role", "org_type", "partnership")
# rows of models.csv that are not fixed effects: variance components, ICCs, cut points, MI diagnostics
NOT_FIXED_PREFIXES = ("cut_", "df_barnard_rubin:", "lambda:", "var_", "icc_", "design_effect")
VARIANCE_PREFIXES = ("var_", "icc_", "design_effect")
VARIANCE_SHOWN = tuple(v for v in VARIANCE_TERMS if v != "loglik")
CATEGORY_TERM = re.compile(r"^C\((\w+)\)\[T\.(.+)\]$")


@dataclass
class Cell:
    text: str
    suppressed: bool = False
    numeric: bool = False


@dataclass
class Block:
    kind: str  # heading | paragraph | bullets | table | figure
    text: str = ""
    level: int = 1
    anchor: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    note: str = ""
    image: str = ""
    number: int = 0


@dataclass
class ReportDocument:
    language: str
    title: str
    subtitle: str
    blocks: list[Block]
    footer: str = ""

    def headings(self, max_level: int = 1) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading" and b.level <= max_level]


@dataclass
class ReportInputs:
    responses: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    registry: pd.DataFrame
    questionnaire: object
    provenance: dict
    figures: dict[str, str]
    language: str = "nl"
    title: str | None = None
    year: int | None = None
    min_group_size: int = 5
    preface: list = field(default_factory=list)  # the evaluator's own text (Markdown), as blocks
    conclusions: list = field(default_factory=list)
    unmapped: pd.DataFrame | None = None  # qc/unmapped_columns.csv; None: not given (no appendix table)
    hypotheses: list[Hypothesis] = field(default_factory=list)  # as declared in config, in its order


def read_registry(path) -> pd.DataFrame:
    """The registry with stray spaces stripped from ids and region names."""
    reg = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in reg.columns:
        reg[col] = reg[col].str.strip()
    return reg


def slugify(name: str) -> str:
    return "-".join(str(name).strip().lower().split())


def region_names(registry: pd.DataFrame, responses: pd.DataFrame | None = None) -> dict[str, str]:
    """Region slug -> the registry's region name.

    With the responses, a slug gets the registry region of its own partnerships, so a slug that is
    not simply the name in lower case (den-bosch for 's-Hertogenbosch) still finds its name.
    """
    if "region" not in registry:
        return {}
    names = {slugify(r): r for r in sorted(registry["region"].unique())}
    if responses is not None and "partnership_id" in registry:
        of_partnership = dict(zip(registry["partnership_id"], registry["region"]))
        pairs = responses[["region", "partnership_id"]].drop_duplicates().astype(str)
        joined = {}
        for slug, pid in sorted(zip(pairs["region"], pairs["partnership_id"].str.strip())):
            if pid in of_partnership:
                joined.setdefault(slug, of_partnership[pid])
        names.update(joined)
    return names


def load_inputs(paths: dict, figures: dict[str, str], provenance_path, settings: dict) -> ReportInputs:
    names = TABLE_FILES + tuple(n for n in OPTIONAL_TABLE_FILES if paths.get(n))
    tables = {name: pd.read_csv(paths[name], keep_default_na=True) for name in names}
    return ReportInputs(
        responses=read_responses(paths["responses"]),
        tables=tables,
        registry=read_registry(paths["registry"]),
        questionnaire=load_questionnaire(paths["questionnaire"]),
        provenance=json.loads(Path(provenance_path).read_text(encoding="utf-8")) if provenance_path else {},
        figures={k: str(v) for k, v in figures.items()},
        language=settings.get("language", "nl"),
        title=settings.get("title") or None,
        year=settings.get("year") or None,
        min_group_size=int(settings.get("min_group_size", 5)),
        preface=markdown_blocks(paths.get("preface")),
        conclusions=markdown_blocks(paths.get("conclusions")),
        unmapped=pd.read_csv(paths["unmapped_columns"], dtype=str, keep_default_na=False)
        if paths.get("unmapped_columns")
        else None,
        hypotheses=declared(settings.get("hypotheses", [])),
    )


def plain_text(inline) -> str:
    """The words of a Markdown inline token, its emphasis and links reduced to their text."""
    return "".join(
        c.content if c.type in ("text", "code_inline") else " " if "break" in c.type else ""
        for c in inline.children or []
    )


def markdown_blocks(path, top_level: int = 1) -> list[Block]:
    """An evaluator's Markdown file as report blocks: headings (shifted below `top_level`), paragraphs
    and bullet lists; inline markup is kept as plain text. No file, no blocks."""
    if not path:
        return []
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(Path(path).read_text(encoding="utf-8"))
    blocks, items, kind = [], None, None
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            items = []
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            blocks.append(Block(kind="bullets", items=items))
            items = None
        elif token.type in ("heading_open", "paragraph_open"):
            kind = (
                ("heading", min(int(token.tag[1:]) + top_level - 1, 3))
                if token.type == "heading_open"
                else ("paragraph", 0)
            )
        elif token.type == "inline" and kind:
            text = " ".join(plain_text(token).split())
            if items is not None:
                items.append(text)
            elif kind[0] == "heading":
                blocks.append(Block(kind="heading", text=text, level=kind[1]))
            else:
                blocks.append(Block(kind="paragraph", text=text))
    return blocks


def report_year(inputs: ReportInputs) -> int:
    return choose_report_year(inputs.responses, inputs.year).year


# --- small builders --------------------------------------------------------------------------------


class Builder:
    def __init__(self, t: Translator):
        self.t = t
        self.blocks: list[Block] = []
        self.n_tables = 0
        self.n_figures = 0

    def heading(self, key: str, level: int = 1, anchor: str = "", **fields):
        self.blocks.append(Block("heading", self.t(key, **fields), level=level, anchor=anchor))

    def para(self, text: str):
        if text:
            self.blocks.append(Block("paragraph", text))

    def bullets(self, items: list[str]):
        if items:
            self.blocks.append(Block("bullets", items=items))

    def table(self, caption: str, columns: list[str], rows: list[list[Cell]], note: str = ""):
        if rows:
            self.n_tables += 1
            self.blocks.append(Block("table", caption, columns=columns, rows=rows, note=note, number=self.n_tables))

    def figure(self, path: str | None, caption: str):
        if path and Path(path).exists():
            self.n_figures += 1
            self.blocks.append(Block("figure", caption, image=str(path), number=self.n_figures))


def num_cell(t: Translator, x, digits: int = 2) -> Cell:
    return Cell(t.num(x, digits), numeric=True)


def int_cell(t: Translator, x) -> Cell:
    return Cell("" if is_missing(x) else format_int(x, t.language), numeric=True)


def p_cell(t: Translator, p) -> Cell:
    return Cell(t.p(p), numeric=True)


def suppressed_cell(t: Translator, min_group_size: int) -> Cell:
    return Cell(t("table.suppressed_cell", min=min_group_size), suppressed=True, numeric=True)


def truthy(value) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "ja", "1.0")


def col(t: Translator, *keys: str) -> list[str]:
    return [t("col." + k) for k in keys]


# --- sections --------------------------------------------------------------------------------------


def alpha_of(inputs: ReportInputs) -> float:
    return float(inputs.provenance.get("config", {}).get("hypotheses", {}).get("alpha", 0.05))


def report_claims(inputs: ReportInputs) -> pd.DataFrame:
    """The claims table behind every conclusion sentence (report/claims.py), from the report's tables."""
    return C.claims_table(inputs.hypotheses, inputs.tables, alpha_of(inputs))


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


def section_summary(b: Builder, inputs: ReportInputs):
    t, r, chosen = b.t, inputs.responses, choose_report_year(inputs.responses, inputs.year)
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
        names = region_names(inputs.registry, r)
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
    std = inputs.tables["models"]
    std = std[(std["model"] == "conditions_mixed_std") & std["term"].isin(CONDITIONS)]
    if not std.empty:
        top = std.loc[pd.to_numeric(std["estimate"]).idxmax()]
        items.append(t("summary.strongest", scale=t.scale(top["term"]), estimate=t.num(top["estimate"])))
    for h in hypothesis_rows(inputs):
        items.append(hypothesis_summary(t, inputs, h))
    b.bullets(items)
    b.para(t("summary.caution", min=inputs.min_group_size))


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
    names = region_names(inputs.registry, inputs.responses)
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
        refs["region"] = region_label(regions[0], region_names(inputs.registry, inputs.responses))
    return refs


def fixed_term_label(t: Translator, term: str, inputs: ReportInputs) -> str:
    """term_label, with a fixed region's slug shown as the region's name."""
    match = CATEGORY_TERM.match(str(term))
    if match and match.group(1) == "region":
        name = region_label(match.group(2), region_names(inputs.registry, inputs.responses))
        return t("terms.category", name=t.term("region"), level=name, reference=term_references(inputs)["region"])
    return term_label(t, term, term_references(inputs))


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


def model_label(t: Translator, model: str, questionnaire=None) -> str:
    """A declared model's name for a reader; ordinal models name the statement they model."""
    if model.startswith("ordinal_") and questionnaire is not None:
        item = model[len("ordinal_") :]
        if item in getattr(questionnaire, "item_codes", []):
            return t("models.ordinal", item=t.item(item))
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
    for term in fixed.index:
        if term not in shown:
            rows.append([Cell(fixed_term_label(t, term, inputs)), Cell(""), *effect_cells(t, fixed.loc[term])])
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
            mark = " †" if seen != first else ""
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


def lr_df(method) -> str:
    match = re.search(r"df\s*=\s*(\d+)", str(method))
    return match.group(1) if match else "?"


def section_rq5(b: Builder, inputs: ReportInputs):
    t, models = b.t, inputs.tables["models"]
    b.heading("sections.rq5", anchor="rq5")
    b.para(t("text.rq5_intro"))
    dip = models[models["model"] == "network_dip"].set_index("term")
    if "lrt_spline_vs_linear" in dip.index:
        r, boot = dip.loc["lrt_spline_vs_linear"], dip["p_value"].get("lrt_spline_vs_linear_bootstrap")
        text = t(
            "text.network_dip_test",
            df=lr_df(r["method"]),
            chi2=t.num(r["estimate"]),
            p=t.p_eq(r["p_value"]),
            p_adjusted=t.p_eq(r["p_adjusted"]) or "–",
        )
        b.para(text + ("" if is_missing(boot) else " " + t("text.network_dip_bootstrap", p=t.p_eq(boot))))
    contrasts = inputs.tables.get("network_dip_contrasts")
    if contrasts is not None:
        b.para(dip_claim(t, contrasts))
    few = few_partnership_ages(inputs.tables["network_dip"])
    if len(few):
        b.para(t("text.network_dip_survivors", ages=", ".join(str(int(a)) for a in few.index), most=int(few.max())))
    b.figure(inputs.figures.get("network_dip"), titled(t, "fig.network_dip.title", inputs.hypotheses))


def dip_claim(t: Translator, contrasts: pd.DataFrame) -> str:
    """ "Dips and recovers" only when the dip is significantly negative and the recovery
    significantly positive; otherwise what the two contrasts show."""
    rows = contrasts.set_index("contrast") if len(contrasts) else pd.DataFrame()
    if not {"dip", "recovery"} <= set(rows.index):
        return t("text.network_dip_no_contrasts")
    d, r = rows.loc["dip"], rows.loc["recovery"]
    fields = {
        "start": int(d["age_from"]),
        "low": int(d["age_to"]),
        "late": int(r["age_to"]),
        "dip": t.num(d["estimate"]),
        "dip_ci": t.ci(d["ci_low"], d["ci_high"]),
        "dip_p": t.p_eq(d["p_value"]),
        "rec": t.num(r["estimate"]),
        "rec_ci": t.ci(r["ci_low"], r["ci_high"]),
        "rec_p": t.p_eq(r["p_value"]),
    }
    claims = C.claims_table([], {"network_dip_contrasts": contrasts})
    dips, recovers = C.holds(claims, "network_dip:dip"), C.holds(claims, "network_dip:recovery")
    key = {
        (True, True): "dips_recovers",
        (True, False): "dips_only",
        (False, True): "recovers_only",
        (False, False): "neither",
    }[(dips, recovers)]
    return t(f"text.network_dip_{key}", **fields)


def odds_ratio(x):
    return None if is_missing(x) else math.exp(float(x))


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
    columns, rows = attrition_rows(t, att, region_names(inputs.registry, inputs.responses), inputs.min_group_size)
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


def questionnaire_tables(b: Builder, inputs: ReportInputs) -> None:
    """The questionnaire as asked: every statement by scale, the answer options, the other questions."""
    t, q = b.t, inputs.questionnaire
    b.heading("sub.questionnaire", level=2)
    likert = q.likert_labels_nl if t.language == "nl" else q.likert_labels_en
    b.para(t("text.likert_options", options="; ".join(f"{i} = {label}" for i, label in enumerate(likert, 1))))
    rows = [
        [
            Cell(t.term(item.scale)),
            Cell(item.code),
            Cell(getattr(item, t.language)),
            Cell(t("text.reverse_mark") if item.reverse else ""),
        ]
        for item in q.items
    ]
    b.table(t("sub.questionnaire"), col(t, "scale", "code", "statement", "reverse"), rows)
    rows = []
    for question in q.questions.values():
        options = question.options_nl if t.language == "nl" else question.options_en
        answer = (
            "; ".join(options)
            if options
            else t("text.open_answer" if question.type == "text" else "text.number_answer")
        )
        rows.append([Cell(getattr(question, t.language)), Cell(answer)])
    b.table(t("sub.other_questions"), col(t, "question", "answers"), rows)


def fieldwork_text(t: Translator, fieldwork: dict) -> str:
    return "; ".join(
        t("text.fieldwork_window", wave=wave, start=start, end=end) for wave, (start, end) in sorted(fieldwork.items())
    )


def settings_summary(b: Builder, inputs: ReportInputs) -> None:
    """The settings in words: regions with their tools and fieldwork, the thresholds, where the rest is."""
    t, config = b.t, inputs.provenance.get("config", {})
    b.heading("sub.settings", level=2)
    names = region_names(inputs.registry, inputs.responses)
    rows = []
    for slug, spec in sorted(config.get("regions", {}).items()):
        sources = spec.get("sources", [])
        tools = sorted({t.get(f"tools.{s.get('tool')}", str(s.get("tool"))) for s in sources})
        n_files = sum(len(s.get("files", [])) for s in sources)
        rows.append(
            [
                Cell(region_label(slug, names)),
                Cell(", ".join(tools)),
                int_cell(t, n_files),
                Cell(fieldwork_text(t, spec.get("fieldwork", {}))),
            ]
        )
    b.table(t("sub.regions"), col(t, "region", "tool", "files", "fieldwork"), rows)
    cleaning, privacy = config.get("cleaning", {}), config.get("privacy", {})
    bullets = [
        t("text.setting_min_group", min=inputs.min_group_size),
        t("text.setting_speeder", seconds=format_int(cleaning.get("speeder_seconds", 60), t.language)),
        t("text.setting_alpha", alpha=t.num(config.get("hypotheses", {}).get("alpha", 0.05))),
        t("text.setting_deduce_on" if privacy.get("use_deduce", True) else "text.setting_deduce_off"),
    ]
    b.bullets(bullets)
    b.para(t("text.settings_file"))


def section_appendix(b: Builder, inputs: ReportInputs):
    t, prov = b.t, inputs.provenance
    b.heading("sections.appendix", anchor="appendix")
    b.para(t("text.appendix_intro"))
    git = prov.get("git", {})
    b.para(t("text.git", commit=git.get("commit", "unknown"), dirty=t("text.git_dirty") if git.get("dirty") else ""))
    questionnaire_tables(b, inputs)
    settings_summary(b, inputs)
    b.heading("sub.inputs", level=2)
    rows = [
        [
            Cell(f["path"]),
            Cell(t.get(f"kinds.{f.get('kind', '')}", str(f.get("kind", "")))),
            int_cell(t, f.get("rows")),
            Cell(str(f.get("sha256", ""))[:16], numeric=True),
        ]
        for f in prov.get("inputs", [])
    ]
    b.table(t("sub.inputs"), col(t, "file", "kind", "rows", "sha256"), rows)
    unmapped_columns(b, inputs)
    b.heading("sub.software", level=2)
    rows = [[Cell(k), Cell(str(v))] for k, v in sorted(prov.get("packages", {}).items())]
    if prov.get("python"):
        rows.insert(0, [Cell("python"), Cell(prov["python"])])
    b.table(t("sub.software"), col(t, "package", "version"), rows)


def unmapped_columns(b: Builder, inputs: ReportInputs):
    """Columns the config does not map: how an evaluator sees that a region changed its form."""
    if inputs.unmapped is None:
        return
    t = b.t
    b.heading("sub.unmapped", level=2)
    if inputs.unmapped.empty:
        b.para(t("text.unmapped_none"))
        return
    b.para(t("text.unmapped_intro"))
    names = region_names(inputs.registry, inputs.responses)
    rows = [
        [
            Cell(names.get(r["region"], r["region"])),
            Cell(r["source_file"]),
            Cell(r["column"]),
            int_cell(t, int(r["non_empty"])),
        ]
        for _, r in inputs.unmapped.iterrows()
    ]
    b.table(t("sub.unmapped"), col(t, "region", "file", "column", "non_empty"), rows)


SECTIONS = (
    section_summary,
    section_hypotheses,
    section_rq1,
    section_rq2,
    section_rq3,
    section_rq4,
    section_rq5,
    section_rq6,
    section_methods,
    section_appendix,
)


def build_report(inputs: ReportInputs) -> ReportDocument:
    t = Translator(inputs.language, inputs.questionnaire)
    b = Builder(t)
    b.blocks.extend(inputs.preface)
    for section in SECTIONS:
        section(b, inputs)
        if section is section_summary:
            b.blocks.extend(inputs.conclusions)
    commit = inputs.provenance.get("git", {}).get("commit", "unknown")
    return ReportDocument(
        language=inputs.language,
        title=inputs.title or t("meta.default_title"),
        subtitle=t("meta.subtitle", year=report_year(inputs)),
        blocks=b.blocks,
        footer=t("meta.generated", commit=str(commit)[:12]),
    )
