"""The report rules' steps: figures, provenance, the annual report (HTML, Word) and the partnership sheets.

The steps that draw or build the report import their modules themselves: nine jobs start from this
module, and the report's (scipy, matplotlib, ~1.3 s) would cost provenance and the spreadsheets too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import yaml

from borgingsmonitor.core.questionnaire import load_questionnaire
from borgingsmonitor.core.responses import GROUP_COLUMNS, read_responses
from borgingsmonitor.core.tables import write_table
from borgingsmonitor.models.hypotheses import declared
from borgingsmonitor.report.figure_registry import FIGURE_NAMES
from borgingsmonitor.report.translate import Translator

log = logging.getLogger(__name__)


FIGURE_TABLES = {
    "descriptives": "descriptives",
    "models": "models",
    "mediation": "mediation",
    "dip": "network_dip",
    "survival": "survival",
    "attrition": "attrition",
}


def figures(input, output, params) -> None:
    """The figures this job's rule outputs (its part of FIGURE_JOBS), from the tables the rule reads."""
    from borgingsmonitor.report.figures import build_figures, setup_matplotlib, write_figures
    from borgingsmonitor.report.names import read_registry, region_names

    setup_matplotlib()
    questionnaire = load_questionnaire(input.questionnaire)
    responses = read_responses(input.responses)
    given = set(input.keys())
    tables = {arg: pd.read_csv(input[name]) if name in given else None for arg, name in FIGURE_TABLES.items()}
    figs = build_figures(
        responses=responses,
        **tables,
        questionnaire=questionnaire,
        t=Translator(params.language, questionnaire),
        min_group_size=params.min_group_size,
        year=params.year,
        region_names=region_names(read_registry(input.registry), responses),
        hypotheses=declared(params.hypotheses),
        names=tuple(n for n in FIGURE_NAMES if f"{n}_png" in output.keys()),
    )
    write_figures(figs, _figure_paths(output, "png", figs), _figure_paths(output, "svg", figs))
    log.info("wrote %d figures", len(figs))


def model_figures(input, output, params) -> None:
    """The figures drawn from models.csv: `figures` on this rule's inputs."""
    figures(input, output, params)


def provenance_record(input, output, params) -> None:
    """What the results are made from (inputs, settings, code), in interim until the whole run succeeded."""
    from borgingsmonitor.report.provenance import build_provenance, write_provenance

    run = params.run.value
    record = build_provenance(
        list(input.manifests), input.registry, input.questionnaire, dict(run["config"]), repo_dir=params.repo_dir
    )
    write_provenance(record, output.record)
    log.info("provenance: %d input files, config sha256 %s", len(record["inputs"]), params.config_sha256)


def claims(input, output, params) -> None:
    from borgingsmonitor.report.claims import claims_table

    tables = {name: pd.read_csv(path) for name, path in input.items()}
    table = claims_table(declared(params.hypotheses), tables, float(params.alpha))
    write_table(table, output.claims)
    log.info("claims: %d, %d hold", len(table), int(table["holds"].sum()))


def provenance(input, output, params) -> None:
    """Publish the record and the run's complete settings, last: a failed run leaves the old pair in place."""
    record = Path(input.record).read_bytes()
    config = json.loads(record)["config"]
    Path(output.provenance).write_bytes(record)
    with open(output.config, "w", encoding="utf-8", newline="\n") as handle:
        yaml.safe_dump(config, handle, sort_keys=False, allow_unicode=True)
    log.info("published provenance after %d outputs", len(input.outputs))


def report_html(input, output, params) -> None:
    from borgingsmonitor.report.content import build_report
    from borgingsmonitor.report.html import render_report_html, write_text

    inputs = _report_inputs(input, params)
    doc = build_report(inputs)
    write_text(render_report_html(doc, Translator(inputs.language, inputs.questionnaire)), output.html)
    log.info("report: %d blocks, language %s", len(doc.blocks), inputs.language)


def report_docx(input, output, params) -> None:
    from borgingsmonitor.report.content import build_report
    from borgingsmonitor.report.document import report_year
    from borgingsmonitor.report.docx import docx_options, write_docx

    inputs = _report_inputs(input, params)
    doc = build_report(inputs)
    options = docx_options(dict(params.settings), report_year(inputs), input.get("reference_docx"))
    write_docx(doc, Translator(inputs.language, inputs.questionnaire), output.docx, options)
    log.info("report: %d blocks, language %s", len(doc.blocks), inputs.language)


def partnership_sheets(input, output, params) -> None:
    from borgingsmonitor.report.sheets import write_sheets

    written = _write_pages(write_sheets, input, output.sheets, params)
    log.info("wrote %d feedback sheets", len(written))


def region_reports(input, output, params) -> None:
    from borgingsmonitor.report.regions import write_region_reports

    written = _write_pages(write_region_reports, input, output.regions, params)
    log.info("wrote %d region reports", len(written))


def _write_pages(writer, input, out_dir, params) -> list:
    """The sheets and the region reports read the same inputs and settings."""
    from borgingsmonitor.report.names import read_registry, region_names
    from borgingsmonitor.report.sheets import sheet_columns

    questionnaire = load_questionnaire(input.questionnaire)
    registry = read_registry(input.registry)
    responses = read_responses(input.responses, sheet_columns(questionnaire), GROUP_COLUMNS)
    t = Translator(params.language, questionnaire)
    names = region_names(registry, responses)
    return writer(responses, registry, questionnaire, out_dir, t, params.min_group_size, names)


def _figure_paths(files, ext: str, names=FIGURE_NAMES) -> dict[str, str]:
    return {name: getattr(files, f"{name}_{ext}") for name in names}


def _report_inputs(input, params):
    from borgingsmonitor.report.document import OPTIONAL_TABLE_FILES, TABLE_FILES, load_inputs

    paths = {name: getattr(input, name) for name in (*TABLE_FILES, "responses", "registry", "questionnaire")}
    paths["unmapped_columns"] = input.get("unmapped_columns")
    paths |= {name: getattr(input, name) for name in OPTIONAL_TABLE_FILES if hasattr(input, name)}
    return load_inputs(paths, _figure_paths(input, "png"), input.provenance, dict(params.settings))


def qc_workbook(input, output, params) -> None:
    """The QC tables (exclusions, attrition, value issues, unmapped columns) as one workbook in the report language."""
    from borgingsmonitor.report import spreadsheets as S

    S.write_workbook(S.qc_sheets(dict(input.items()), Translator(params.language)), output.workbook)


def tables_workbook(input, output, params) -> None:
    """The result tables as one Excel workbook."""
    from borgingsmonitor.report import spreadsheets as S

    S.write_workbook(S.table_sheets(dict(input.items())), output.tables)


def clean_copies(input, output, params) -> None:
    """The clean data as Excel and labelled SPSS, with its codebook."""
    from borgingsmonitor.report import spreadsheets as S

    questionnaire = load_questionnaire(input.questionnaire)
    t = Translator(params.language, questionnaire)
    responses = read_responses(input.responses)
    S.write_workbook({"responses": responses}, output.responses_xlsx)
    S.write_sav(responses, questionnaire, output.responses_sav, t)
    write_table(S.codebook(responses, questionnaire, t), output.codebook)
