"""The annual report as a language-neutral list of blocks, rendered by html.py and docx.py alike.

Both renderers walk the same `ReportDocument`, so the HTML and the Word report cannot drift apart.
All words come from the translation files; this module only arranges numbers and keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from borgingsmonitor.disclosure import is_small
from borgingsmonitor.questionnaire import SCALES, load_questionnaire
from borgingsmonitor.report.figures import CONDITIONS, attrition_totals, region_label
from borgingsmonitor.report.translate import Translator, format_int, is_missing

TABLE_FILES = ("reliability", "cfa_fit", "descriptives", "models", "mediation", "network_dip", "survival",
               "hypotheses", "attrition")
GROUP_TYPES = ("region", "wave", "role", "org_type", "partnership")


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


def read_registry(path) -> pd.DataFrame:
    """The registry with stray spaces stripped from ids and region names."""
    reg = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in reg.columns:
        reg[col] = reg[col].str.strip()
    return reg


def slugify(name: str) -> str:
    return "-".join(str(name).strip().lower().split())


def region_names(registry: pd.DataFrame) -> dict[str, str]:
    return {slugify(r): r for r in sorted(registry["region"].unique())} if "region" in registry else {}


def load_inputs(paths: dict, figures: dict[str, str], provenance_path, settings: dict) -> ReportInputs:
    tables = {name: pd.read_csv(paths[name], keep_default_na=True) for name in TABLE_FILES}
    return ReportInputs(
        responses=pd.read_parquet(paths["responses"]),
        tables=tables,
        registry=read_registry(paths["registry"]),
        questionnaire=load_questionnaire(paths["questionnaire"]),
        provenance=json.loads(Path(provenance_path).read_text(encoding="utf-8")) if provenance_path else {},
        figures={k: str(v) for k, v in figures.items()},
        language=settings.get("language", "nl"),
        title=settings.get("title") or None,
        year=settings.get("year") or None,
        min_group_size=int(settings.get("min_group_size", 5)),
    )


def report_year(inputs: ReportInputs) -> int:
    return int(inputs.year) if inputs.year else int(inputs.responses["wave"].max())


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


def section_summary(b: Builder, inputs: ReportInputs):
    t, r, year = b.t, inputs.responses, report_year(inputs)
    b.heading("sections.summary", anchor="summary")
    this_year = r[r["wave"] == year]
    waves = sorted(int(w) for w in r["wave"].dropna().unique())
    items = [t("summary.data", year=year, n_year=format_int(len(this_year), t.language),
               k_partnerships=this_year["partnership_id"].nunique(), k_regions=this_year["region"].nunique(),
               waves=f"{waves[0]}–{waves[-1]}" if waves else "", n_all=format_int(len(r), t.language))]
    rel = inputs.tables["reliability"]
    overall = rel[rel["wave"].astype(str) == "all"]
    if not overall.empty:
        alpha = pd.to_numeric(overall["alpha"], errors="coerce")
        low = overall.loc[alpha < 0.70, "scale"].tolist()
        fields = {"low": t.num(alpha.min()), "high": t.num(alpha.max())}
        items.append(t("summary.reliability_low", scales=", ".join(t.scale(s) for s in low), **fields) if low
                     else t("summary.reliability_ok", **fields))
    std = inputs.tables["models"]
    std = std[(std["model"] == "conditions_mixed_std") & std["term"].isin(CONDITIONS)]
    if not std.empty:
        top = std.loc[pd.to_numeric(std["estimate"]).idxmax()]
        items.append(t("summary.strongest", scale=t.scale(top["term"]), estimate=t.num(top["estimate"])))
    for h in inputs.tables["hypotheses"].sort_values("hypothesis").itertuples(index=False):
        key = "summary.hypothesis_supported" if truthy(h.supported) else "summary.hypothesis_not_supported"
        text = t(key, hypothesis=h.hypothesis, text=t.get(f"hypotheses.{h.hypothesis}", str(h.test)))
        items.append(text + " " + t("summary.hypothesis_detail", estimate=t.num(h.estimate),
                                    ci=t.ci(h.ci_low, h.ci_high), p=t.p_eq(h.p_adjusted)))
    b.bullets(items)
    b.para(t("summary.caution", min=inputs.min_group_size))


def section_hypotheses(b: Builder, inputs: ReportInputs):
    t = b.t
    b.heading("sections.hypotheses", anchor="hypotheses")
    b.para(t("text.hypotheses_intro"))
    rows = []
    for h in inputs.tables["hypotheses"].sort_values("hypothesis").itertuples(index=False):
        rows.append([Cell(f"{h.hypothesis}. {t.get(f'hypotheses.{h.hypothesis}', '')}"), Cell(str(h.test)),
                     Cell(f"{t.num(h.estimate)} {t.ci(h.ci_low, h.ci_high)}", numeric=True), p_cell(t, h.p_value),
                     p_cell(t, h.p_adjusted), Cell(t("table.yes") if truthy(h.supported) else t("table.no"))])
    b.table(t("sections.hypotheses"), [t("col.hypothesis"), t("col.test"), f"{t('col.estimate')} {t('col.ci')}",
                                       t("col.p"), t("col.p_adjusted"), t("col.supported")], rows)


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
        values = ([suppressed_cell(t, m)] * 3 if small else
                  [num_cell(t, r.alpha), Cell(t.ci(r.alpha_ci_low, r.alpha_ci_high), numeric=True), num_cell(t, r.omega)])
        rows.append([Cell(f"{t.scale(r.scale)} ({r.scale})"), Cell(wave), int_cell(t, r.n), int_cell(t, r.n_items),
                     *values])
    b.heading("sub.reliability", level=2)
    b.table(t("sub.reliability"), col(t, "scale", "wave", "n", "n_items", "alpha", "alpha_ci", "omega"), rows,
            note=t("table.suppressed_note", min=m) if any_small else "")
    cfa = inputs.tables["cfa_fit"]
    rows = [[Cell(str(r.model)), int_cell(t, r.n), num_cell(t, r.chi2, 1), int_cell(t, r.df), p_cell(t, r.p_value),
             num_cell(t, r.cfi, 3), num_cell(t, r.tli, 3), num_cell(t, r.rmsea, 3), num_cell(t, r.srmr, 3)]
            for r in cfa.itertuples(index=False)]
    b.heading("sub.cfa", level=2)
    b.table(t("sub.cfa"), col(t, "model", "n", "chi2", "df", "p", "cfi", "tli", "rmsea", "srmr"), rows)


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
    names = region_names(inputs.registry)
    partnerships = dict(zip(inputs.registry.get("partnership_id", []), inputs.registry.get("name", [])))
    rows, any_small = [], False
    for group, g in sorted(d.groupby(d["group"].astype(str)), key=lambda kv: kv[0]):
        by_scale = {r.scale: r for r in g.itertuples(index=False)}
        n = int(pd.to_numeric(g["n"]).max())
        cells = [Cell(group_label(t, group_type, group, names, partnerships)), int_cell(t, n)]
        for scale in SCALES:
            r = by_scale.get(scale)
            if r is None:
                cells.append(Cell(""))
            elif truthy(r.suppressed) or is_small(r.n, m) or is_missing(r.mean):
                any_small = True
                cells.append(suppressed_cell(t, m))
            else:
                cells.append(num_cell(t, r.mean))
        if is_small(n, m):
            cells[1] = suppressed_cell(t, m)
        rows.append(cells)
    label = t(f"groups.{group_type}").lower()
    b.heading("sub.by_group", level=2, group=label)
    b.table(t("sub.by_group", group=label), [t(f"groups.{group_type}"), t("col.n"), *SCALES], rows,
            note=t("table.suppressed_note", min=m) if any_small else "")


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
        b.figure(inputs.figures.get(f"likert_{scale}"),
                 t("fig.likert.title", scale=t.scale(scale), code=scale, period=year))
    b.figure(inputs.figures.get("scale_correlations"), t("fig.correlations.title", period=year))


def model_rows(t: Translator, models: pd.DataFrame) -> list[list[Cell]]:
    main = models[models["model"] == "conditions_mixed"]
    std = models[models["model"] == "conditions_mixed_std"].set_index("term")
    rows = []
    for r in main.itertuples(index=False):
        s = std.loc[r.term] if r.term in std.index else None
        rows.append([Cell(t.term(r.term)), num_cell(t, r.estimate), Cell(t.ci(r.ci_low, r.ci_high), numeric=True),
                     num_cell(t, None if s is None else s["estimate"]),
                     Cell("" if s is None else t.ci(s["ci_low"], s["ci_high"]), numeric=True),
                     p_cell(t, r.p_value), p_cell(t, r.p_adjusted)])
    return rows


def section_rq3(b: Builder, inputs: ReportInputs):
    t, models = b.t, inputs.tables["models"]
    b.heading("sections.rq3", anchor="rq3")
    b.para(t("text.rq3_intro"))
    b.figure(inputs.figures.get("forest_conditions"), t("fig.forest.title"))
    b.heading("sub.main_model", level=2)
    main = models[models["model"] == "conditions_mixed"]
    note = ""
    if not main.empty:
        note = t("text.rq3_model_note", n_obs=format_int(main["n_obs"].iloc[0], t.language),
                 n_groups=format_int(main["n_groups"].iloc[0], t.language))
    b.table(t("models.conditions_mixed"), [t("col.term"), t("col.b"), t("col.ci"), t("col.beta"), t("col.ci"),
                                           t("col.p"), t("col.p_adjusted")], model_rows(t, models), note=note)
    other = models[~models["model"].isin(["conditions_mixed", "conditions_mixed_std", "network_dip"])
                   & models["term"].isin(CONDITIONS)]
    if not other.empty:
        b.heading("sub.sensitivity", level=2)
        b.para(t("text.rq3_sensitivity_intro"))
        rows = [[Cell(t.get(f"models.{r.model}", str(r.model))), Cell(t.term(r.term)), num_cell(t, r.estimate),
                 Cell(t.ci(r.ci_low, r.ci_high), numeric=True), p_cell(t, r.p_value)]
                for r in other.itertuples(index=False)]
        b.table(t("sub.sensitivity"), col(t, "model", "term", "estimate", "ci", "p"), rows)


def section_rq4(b: Builder, inputs: ReportInputs):
    t, med = b.t, inputs.tables["mediation"]
    b.heading("sections.rq4", anchor="rq4")
    b.para(t("text.rq4_intro"))
    b.figure(inputs.figures.get("mediation_paths"), t("fig.mediation.title"))
    rows = [[Cell(t.get(f"effects.{r.effect}", str(r.effect))), num_cell(t, r.estimate),
             Cell(t.ci(r.ci_low, r.ci_high), numeric=True), p_cell(t, r.p_value), int_cell(t, r.n_boot)]
            for r in med.itertuples(index=False)]
    b.table(t("fig.mediation.title"), col(t, "effect", "estimate", "ci", "p", "n_boot"), rows)


def section_rq5(b: Builder, inputs: ReportInputs):
    t, models = b.t, inputs.tables["models"]
    b.heading("sections.rq5", anchor="rq5")
    b.para(t("text.rq5_intro"))
    for r in models[models["model"] == "network_dip"].itertuples(index=False):
        detail = f"{t.term(r.term)} = {t.num(r.estimate)}, p = {t.p(r.p_value)}"
        if not is_missing(r.p_adjusted):
            detail += f", {t('col.p_adjusted')} = {t.p(r.p_adjusted)}"
        b.para(t("text.network_dip_test", detail=detail))
    b.figure(inputs.figures.get("network_dip"), t("fig.network_dip.title"))


def section_rq6(b: Builder, inputs: ReportInputs):
    t, surv = b.t, inputs.tables["survival"]
    b.heading("sections.rq6", anchor="rq6")
    b.para(t("text.rq6_intro"))
    b.figure(inputs.figures.get("survival_km"), t("fig.km.title"))
    hazard = surv[(surv["model"].astype(str) != "kaplan_meier") | surv["term"].astype(str).str.startswith("logrank")]
    rows = [[Cell(t.get(f"models.{r.model}", str(r.model))), Cell(t.term(r.term)), num_cell(t, r.estimate),
             Cell(t.ci(r.ci_low, r.ci_high), numeric=True), p_cell(t, r.p_value), int_cell(t, r.n_partnerships),
             int_cell(t, r.n_events)] for r in hazard.itertuples(index=False)]
    b.table(t("sections.rq6"), col(t, "model", "term", "estimate", "ci", "p", "n_partnerships", "n_events"), rows,
            note=t("text.survival_note"))


def find_seeds(config, prefix: str = "") -> dict[str, object]:
    """Every config key that names a seed, with its dotted path."""
    seeds = {}
    if isinstance(config, dict):
        for key, value in config.items():
            path = f"{prefix}{key}"
            if "seed" in str(key).lower() and not isinstance(value, (dict, list)):
                seeds[path] = value
            seeds.update(find_seeds(value, path + "."))
    return dict(sorted(seeds.items()))


def section_methods(b: Builder, inputs: ReportInputs):
    t, att = b.t, inputs.tables["attrition"]
    b.heading("sections.methods", anchor="methods")
    b.heading("sub.data", level=2)
    raw, totals, analysed = attrition_totals(att)
    waves = sorted(int(w) for w in att["wave"].unique()) if not att.empty else []
    b.para(t("text.data_sources", k_regions=att["region"].nunique(), waves=", ".join(map(str, waves)),
             raw=format_int(raw, t.language), analysed=format_int(analysed, t.language)))
    b.figure(inputs.figures.get("attrition_flow"), t("fig.attrition.title"))
    names = region_names(inputs.registry)
    reasons = list(totals)
    per_region = att.groupby("region", sort=True)[["raw_rows", *reasons, "analysed"]].sum()
    rows = [[Cell(region_label(region, names)), *(int_cell(t, v) for v in r)] for region, r in per_region.iterrows()]
    rows.append([Cell(t("table.total")), int_cell(t, raw), *(int_cell(t, totals[k]) for k in reasons),
                 int_cell(t, analysed)])
    b.table(t("sub.data"), [t("col.region"), t("col.raw_rows"), *(t.get(f"reasons.{k}", k) for k in reasons),
                            t("col.analysed")], rows, note=t("text.attrition_note"))
    b.heading("sub.scoring", level=2)
    reverse = ", ".join(inputs.questionnaire.reverse_items)
    b.para(t("text.scoring", reverse=reverse))
    b.heading("sub.analyses", level=2)
    models = inputs.tables["models"]
    declared = models.drop_duplicates("model")[["model", "method", "n_obs"]]
    b.para(t("text.models_declared"))
    b.bullets([t("text.model_line", model=t.get(f"models.{r.model}", str(r.model)), method=r.method,
                 n_obs=format_int(r.n_obs, t.language)) for r in declared.itertuples(index=False)])
    declared_specs = [m for m in inputs.provenance.get("config", {}).get("models", []) or []
                      if isinstance(m, dict) and "name" in m and "formula" in m]
    b.bullets([f"{m['name']}: {m['formula']} ({m.get('family', '')}, {m.get('estimator', '')})" for m in declared_specs])
    b.para(t("text.multiple_testing"))
    med = inputs.tables["mediation"]
    if "n_boot" in med and med["n_boot"].notna().any():
        b.para(t("text.bootstrap", n_boot=format_int(med["n_boot"].dropna().max(), t.language)))
    seeds = find_seeds(inputs.provenance.get("config", {}))
    b.para(t("text.seeds", seeds=", ".join(f"{k} = {v}" for k, v in seeds.items())) if seeds else t("text.no_seeds"))
    b.heading("sub.privacy", level=2)
    b.para(t("text.privacy", min=inputs.min_group_size))


def flatten_config(config, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    if isinstance(config, dict):
        for key in sorted(config, key=str):
            rows.extend(flatten_config(config[key], f"{prefix}{key}."))
    elif isinstance(config, list) and any(isinstance(v, (dict, list)) for v in config):
        for i, value in enumerate(config):
            rows.extend(flatten_config(value, f"{prefix}{i}."))
    else:
        rows.append((prefix.rstrip("."), json.dumps(config, ensure_ascii=False)))
    return rows


def section_appendix(b: Builder, inputs: ReportInputs):
    t, prov = b.t, inputs.provenance
    b.heading("sections.appendix", anchor="appendix")
    b.para(t("text.appendix_intro"))
    git = prov.get("git", {})
    b.para(t("text.git", commit=git.get("commit", "unknown"), dirty=t("text.git_dirty") if git.get("dirty") else ""))
    b.heading("sub.inputs", level=2)
    rows = [[Cell(f["path"]), Cell(str(f.get("kind", ""))), int_cell(t, f.get("rows")),
             Cell(str(f.get("sha256", ""))[:16], numeric=True)] for f in prov.get("inputs", [])]
    b.table(t("sub.inputs"), col(t, "file", "kind", "rows", "sha256"), rows)
    b.heading("sub.software", level=2)
    rows = [[Cell(k), Cell(str(v))] for k, v in sorted(prov.get("packages", {}).items())]
    if prov.get("python"):
        rows.insert(0, [Cell("python"), Cell(prov["python"])])
    b.table(t("sub.software"), col(t, "package", "version"), rows)
    b.heading("sub.settings", level=2)
    rows = [[Cell(k), Cell(v)] for k, v in flatten_config(prov.get("config", {}))]
    b.table(t("sub.settings"), col(t, "key", "value"), rows)


SECTIONS = (section_summary, section_hypotheses, section_rq1, section_rq2, section_rq3, section_rq4, section_rq5,
            section_rq6, section_methods, section_appendix)


def build_report(inputs: ReportInputs) -> ReportDocument:
    t = Translator(inputs.language, inputs.questionnaire)
    b = Builder(t)
    for section in SECTIONS:
        section(b, inputs)
    commit = inputs.provenance.get("git", {}).get("commit", "unknown")
    return ReportDocument(language=inputs.language, title=inputs.title or t("meta.default_title"),
                          subtitle=t("meta.subtitle", year=report_year(inputs)), blocks=b.blocks,
                          footer=t("meta.generated", commit=str(commit)[:12]))
