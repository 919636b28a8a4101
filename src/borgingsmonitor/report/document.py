"""The annual report as a language-neutral list of blocks, rendered by html.py and docx.py alike.

Both renderers walk the same `ReportDocument`, so the HTML and the Word report cannot drift apart.
All words come from the translation files; the report modules only arrange numbers and keys.
This module holds what every section shares: the inputs, the block types, the builder and the cell helpers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import read_responses
from borgingsmonitor.models.hypotheses import Hypothesis, declared
from borgingsmonitor.report import claims as C
from borgingsmonitor.report.names import read_registry, region_names
from borgingsmonitor.report.translate import Translator, format_int, is_missing
from borgingsmonitor.report.year import ReportYear, choose_report_year

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
    claims: pd.DataFrame | None = None  # the claims table, once the inputs are complete (load_inputs)

    @cached_property
    def region_names(self) -> dict[str, str]:
        """names.region_names of the registry and the responses: read by several sections, and at a
        million responses each reading costs a pass over them."""
        return region_names(self.registry, self.responses)

    @cached_property
    def chosen_year(self) -> ReportYear:
        """The report year (year.choose_report_year), for the same reason."""
        return choose_report_year(self.responses, self.year)


def load_inputs(paths: dict, figures: dict[str, str], provenance_path, settings: dict) -> ReportInputs:
    names = TABLE_FILES + tuple(n for n in OPTIONAL_TABLE_FILES if paths.get(n))
    tables = {name: pd.read_csv(paths[name], keep_default_na=True) for name in names}
    inputs = ReportInputs(
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
    inputs.claims = report_claims(inputs)
    return inputs


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
    return inputs.chosen_year.year


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
    """The claims table behind every conclusion sentence (report/claims.py), from the report's tables;
    computed once by load_inputs (inputs built by hand, as in tests, get it fresh on every call)."""
    if getattr(inputs, "claims", None) is not None:
        return inputs.claims
    return C.claims_table(inputs.hypotheses, inputs.tables, alpha_of(inputs))


def odds_ratio(x):
    return None if is_missing(x) else math.exp(float(x))
