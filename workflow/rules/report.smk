# Figures, the annual report (HTML and Word), partnership feedback sheets and provenance.
#
# Config used (all through params): report.language, report.title, report.year, min_group_size,
# plus sources / input_dir / registry / questionnaire for provenance.

import os

from borgingsmonitor.report.figures import FIGURE_NAMES
from borgingsmonitor.report.provenance import source_entries

REPORT_TABLES = {
    "reliability": "results/tables/reliability.csv",
    "cfa_fit": "results/tables/cfa_fit.csv",
    "descriptives": "results/tables/descriptives.csv",
    "models": "results/tables/models.csv",
    "mediation": "results/tables/mediation.csv",
    "network_dip": "results/tables/network_dip.csv",
    "survival": "results/tables/survival.csv",
    "hypotheses": "results/tables/hypotheses.csv",
    "attrition": "results/qc/attrition.csv",
}
FIGURE_CATEGORY = {
    "profiles_region": "2 Profiles",
    "profiles_wave": "2 Profiles",
    "scale_correlations": "1 Measurement",
    "forest_conditions": "3 Conditions and durability",
    "mediation_paths": "4 Mechanism",
    "network_dip": "5 Network dip",
    "survival_km": "6 Actual durability",
    "attrition_flow": "0 Data",
}


def registry_path():
    return os.path.join(config["input_dir"], config["registry"])


def figure_category(name):
    return FIGURE_CATEGORY.get(name, "2 Profiles")


def figure_outputs():
    outputs = {}
    for name in FIGURE_NAMES:
        caption = (
            "../report/fig_likert.rst"
            if name.startswith("likert_")
            else f"../report/fig_{name}.rst"
        )
        outputs[f"{name}_png"] = report(
            f"results/figures/{name}.png",
            caption=caption,
            category="Figures",
            subcategory=figure_category(name),
            labels={"figure": name, "format": "PNG"},
        )
        outputs[f"{name}_svg"] = f"results/figures/{name}.svg"
    return outputs


def figure_pngs():
    return {f"{name}_png": f"results/figures/{name}.png" for name in FIGURE_NAMES}


def report_settings():
    return {
        "language": config["report"]["language"],
        "title": config["report"]["title"],
        "year": config["report"]["year"],
        "min_group_size": config["min_group_size"],
    }


def provenance_sources():
    return source_entries(config)


def provenance_export_paths(wildcards):
    return [entry["path"] for entry in source_entries(config)]


rule figures:
    input:
        responses="results/clean/responses.parquet",
        descriptives=REPORT_TABLES["descriptives"],
        models=REPORT_TABLES["models"],
        mediation=REPORT_TABLES["mediation"],
        network_dip=REPORT_TABLES["network_dip"],
        survival=REPORT_TABLES["survival"],
        attrition=REPORT_TABLES["attrition"],
        registry=registry_path(),
        questionnaire=config["questionnaire"],
    output:
        **figure_outputs(),
    log:
        "logs/figures/figures.log",
    benchmark:
        "benchmarks/figures/figures.tsv"
    params:
        language=config["report"]["language"],
        year=config["report"]["year"],
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/figures.py"


rule provenance:
    input:
        exports=provenance_export_paths,
        registry=registry_path(),
        questionnaire=config["questionnaire"],
    output:
        provenance=report(
            "results/provenance.json",
            caption="../report/report_provenance.rst",
            category="Report",
            labels={"output": "provenance"},
        ),
    log:
        "logs/provenance/provenance.log",
    params:
        sources=provenance_sources(),
        config=config,
        repo_dir=".",
    script:
        "../../scripts/provenance.py"


rule report_html:
    input:
        **REPORT_TABLES,
        **figure_pngs(),
        responses="results/clean/responses.parquet",
        registry=registry_path(),
        questionnaire=config["questionnaire"],
        provenance="results/provenance.json",
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report_html.rst",
            category="Report",
            labels={"output": "annual report", "format": "HTML"},
        ),
    log:
        "logs/report_html/report_html.log",
    params:
        settings=report_settings(),
    script:
        "../../scripts/report_html.py"


rule report_docx:
    input:
        **REPORT_TABLES,
        **figure_pngs(),
        responses="results/clean/responses.parquet",
        registry=registry_path(),
        questionnaire=config["questionnaire"],
        provenance="results/provenance.json",
    output:
        docx=report(
            "results/report/report.docx",
            caption="../report/report_docx.rst",
            category="Report",
            labels={"output": "annual report", "format": "Word"},
        ),
    log:
        "logs/report_docx/report_docx.log",
    params:
        settings=report_settings(),
    script:
        "../../scripts/report_docx.py"


# One rule writes every sheet into one directory: the set of partnerships is known only after
# cleaning, nothing downstream needs a single sheet as a target, and all sheets share the region
# and all-region comparisons, so they change together. A checkpoint would add a DAG re-evaluation
# for no gain.
rule partnership_sheets:
    input:
        responses="results/clean/responses.parquet",
        registry=registry_path(),
        questionnaire=config["questionnaire"],
    output:
        sheets=report(
            directory("results/report/partnerships"),
            htmlindex="index.html",
            caption="../report/report_partnership_sheets.rst",
            category="Report",
            labels={"output": "feedback sheets", "format": "HTML"},
        ),
    log:
        "logs/partnership_sheets/partnership_sheets.log",
    benchmark:
        "benchmarks/partnership_sheets/partnership_sheets.tsv"
    params:
        language=config["report"]["language"],
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/report_sheets.py"
