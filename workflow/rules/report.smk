# Figures, the annual report (HTML and Word), partnership feedback sheets and provenance.
#
# Config used (all through params): report.language, report.title, report.year, min_group_size,
# plus sources / input_dir / registry / questionnaire for provenance.

from borgingsmonitor.core.codeversion import code_version
from borgingsmonitor.core.priority import PRIORITY
from borgingsmonitor.report.provenance import git_commit


rule figures:
    input:
        responses="results/clean/responses.parquet",
        descriptives=REPORT_TABLES["descriptives"],
        mediation=REPORT_TABLES["mediation"],
        network_dip=REPORT_TABLES["network_dip"],
        survival=REPORT_TABLES["survival"],
        attrition=REPORT_TABLES["attrition"],
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        **figure_outputs("figures"),
    log:
        "logs/figures/figures.log",
    benchmark:
        "benchmarks/figures/figures.tsv"
    params:
        code=code_version("report"),
        language=config["report"]["language"],
        year=config["report"]["year"],
        min_group_size=config["min_group_size"],
        hypotheses=config["hypotheses"]["declared"],
    script:
        "../../scripts/figures.py"


# The figures drawn from models.csv, apart: the table is made last, and the other figures need not wait.
rule model_figures:
    input:
        responses="results/clean/responses.parquet",
        models=REPORT_TABLES["models"],
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        **figure_outputs("model_figures"),
    log:
        "logs/model_figures/model_figures.log",
    benchmark:
        "benchmarks/model_figures/model_figures.tsv"
    params:
        code=code_version("report"),
        language=config["report"]["language"],
        year=config["report"]["year"],
        min_group_size=config["min_group_size"],
        hypotheses=config["hypotheses"]["declared"],
    script:
        "../../scripts/model_figures.py"


# Provenance in two steps: the record is made beside the analyses (the reports show it) in interim;
# `provenance` publishes it with the settings only after every other output exists, so a failed run
# leaves results/provenance.json describing the results beside it.
rule provenance_record:
    input:
        **provenance_inputs(),
    output:
        record="results/interim/provenance.json",
    log:
        "logs/provenance_record/provenance_record.log",
    benchmark:
        "benchmarks/provenance_record/provenance_record.tsv"
    params:
        code=code_version("report"),
        # the config is tracked by its hash, so `snakemake -n` does not print it as the job's reason
        config_sha256=config_sha256(),
        code_version=git_commit(workflow.basedir),
        repo_dir=workflow.basedir,
        run=untracked({"config": config}),
    script:
        "../../scripts/provenance_record.py"


rule claims:
    input:
        hypotheses=REPORT_TABLES["hypotheses"],
        models=REPORT_TABLES["models"],
        network_dip_contrasts=REPORT_TABLES["network_dip_contrasts"],
        survival=REPORT_TABLES["survival"],
        mediation=REPORT_TABLES["mediation"],
    output:
        claims=report(
            "results/tables/claims.csv",
            caption="../report/claims.rst",
            category="4 Models and hypotheses (RQ3-RQ6)",
            labels={"table": "claims"},
        ),
    log:
        "logs/claims/claims.log",
    benchmark:
        "benchmarks/claims/claims.tsv"
    params:
        code=code_version("report"),
        alpha=config["hypotheses"]["alpha"],
        hypotheses=config["hypotheses"]["declared"],
    script:
        "../../scripts/claims.py"


rule provenance:
    input:
        record="results/interim/provenance.json",
        outputs=published_outputs(),
    output:
        provenance=report(
            "results/provenance.json",
            caption="../report/report_provenance.rst",
            category="7 Report and provenance",
            labels={"output": "provenance"},
        ),
        config=report(
            "results/report/config.yaml",
            caption="../report/report_config.rst",
            category="7 Report and provenance",
            labels={"output": "settings", "format": "YAML"},
        ),
    log:
        "logs/provenance/provenance.log",
    benchmark:
        "benchmarks/provenance/provenance.tsv"
    params:
        code=code_version("report"),
    script:
        "../../scripts/provenance.py"


rule report_html:
    input:
        **REPORT_TABLES,
        **figure_pngs(),
        **report_texts(),
        responses="results/clean/responses.parquet",
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
        provenance="results/interim/provenance.json",
        unmapped_columns="results/qc/unmapped_columns.csv",
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report_html.rst",
            category="7 Report and provenance",
            labels={"output": "annual report", "format": "HTML"},
        ),
    log:
        "logs/report_html/report_html.log",
    benchmark:
        "benchmarks/report_html/report_html.tsv"
    params:
        code=code_version("report"),
        settings=report_settings(),
    script:
        "../../scripts/report_html.py"


rule report_docx:
    input:
        **REPORT_TABLES,
        **figure_pngs(),
        **report_texts(),
        responses="results/clean/responses.parquet",
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
        provenance="results/interim/provenance.json",
        unmapped_columns="results/qc/unmapped_columns.csv",
    output:
        docx=report(
            "results/report/report.docx",
            caption="../report/report_docx.rst",
            category="7 Report and provenance",
            labels={"output": "annual report", "format": "Word"},
        ),
    log:
        "logs/report_docx/report_docx.log",
    benchmark:
        "benchmarks/report_docx/report_docx.tsv"
    params:
        code=code_version("report"),
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
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        sheets=report(
            directory("results/report/partnerships"),
            htmlindex="index.html",
            caption="../report/report_partnership_sheets.rst",
            category="7 Report and provenance",
            labels={"output": "feedback sheets", "format": "HTML"},
        ),
    log:
        "logs/partnership_sheets/partnership_sheets.log",
    benchmark:
        "benchmarks/partnership_sheets/partnership_sheets.tsv"
    params:
        code=code_version("report"),
        language=config["report"]["language"],
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/partnership_sheets.py"


rule region_reports:
    input:
        responses="results/clean/responses.parquet",
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        regions=report(
            directory("results/report/regions"),
            patterns=["{region}.html"],
            caption="../report/report_region_reports.rst",
            category="7 Report and provenance",
            labels={"output": "region reports", "format": "HTML"},
        ),
    log:
        "logs/region_reports/region_reports.log",
    benchmark:
        "benchmarks/region_reports/region_reports.tsv"
    params:
        code=code_version("report"),
        language=config["report"]["language"],
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/region_reports.py"


rule qc_workbook:
    input:
        exclusions="results/qc/exclusions.csv",
        attrition="results/qc/attrition.csv",
        value_issues="results/qc/value_issues.csv",
        unmapped_columns="results/qc/unmapped_columns.csv",
    output:
        workbook=report(
            "results/qc/qc.xlsx",
            caption="../report/qc_workbook.rst",
            category="1 Data and cleaning",
            labels={"output": "qc", "format": "Excel"},
        ),
    log:
        "logs/qc_workbook/qc_workbook.log",
    params:
        code=code_version("report"),
        language=config["report"]["language"],
    script:
        "../../scripts/qc_workbook.py"


rule tables_workbook:
    input:
        **REPORT_TABLES,
    output:
        tables=report(
            "results/tables/tables.xlsx",
            caption="../report/tables_workbook.rst",
            category="7 Report and provenance",
            labels={"output": "tables", "format": "Excel"},
        ),
    log:
        "logs/tables_workbook/tables_workbook.log",
    params:
        code=code_version("report"),
    script:
        "../../scripts/tables_workbook.py"


# Only the clean data, so it runs beside the models; at 1M rows it is among the longest jobs.
rule clean_copies:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        responses_xlsx="results/clean/responses.xlsx",
        responses_sav="results/clean/responses.sav",
        codebook="results/clean/codebook.csv",
    log:
        "logs/clean_copies/clean_copies.log",
    benchmark:
        "benchmarks/clean_copies/clean_copies.tsv"
    priority: PRIORITY["clean_copies"]
    params:
        code=code_version("report"),
        language=config["report"]["language"],
    script:
        "../../scripts/clean_copies.py"
