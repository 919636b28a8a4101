# Cleaning: the protocol's rules in order, the clean data set and the ledger of every raw row.

from borgingsmonitor.core.codeversion import code_version


rule clean:
    input:
        harmonised="results/interim/harmonised.parquet",
        issues="results/interim/ingest_value_issues.csv",
        manifests=ingested("manifest"),
        registry=input_path(config["registry"]),
        questionnaire=config["questionnaire"],
    output:
        responses="results/clean/responses.parquet",
        exclusions=report(
            "results/qc/exclusions.csv",
            caption="../report/exclusions.rst",
            category="1 Data and cleaning",
            labels={"table": "exclusions"},
        ),
        attrition=report(
            "results/qc/attrition.csv",
            caption="../report/attrition.rst",
            category="1 Data and cleaning",
            labels={"table": "attrition"},
        ),
        value_issues=report(
            "results/qc/value_issues.csv",
            caption="../report/value_issues.rst",
            category="1 Data and cleaning",
            labels={"table": "value issues"},
        ),
        unmapped_columns=report(
            "results/qc/unmapped_columns.csv",
            caption="../report/unmapped_columns.rst",
            category="1 Data and cleaning",
            labels={"table": "unmapped columns"},
        ),
    log:
        "logs/clean.log",
    benchmark:
        "benchmarks/clean/clean.tsv"
    params:
        code=code_version("clean"),
        regions=regions_without_sources(),
        cleaning=config["cleaning"],
    script:
        "../../scripts/clean.py"
