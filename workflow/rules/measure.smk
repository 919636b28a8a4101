# Measurement quality of the five scales (RQ1) and descriptive profiles (RQ2).
# Config keys used: questionnaire, min_group_size, measurement.ci_level.

from borgingsmonitor.core.codeversion import code_version
from borgingsmonitor.core.priority import PRIORITY


rule reliability:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        reliability=report(
            "results/tables/reliability.csv",
            caption="../report/reliability.rst",
            category="2 Measurement (RQ1)",
            labels={"table": "reliability"},
        ),
        item_statistics=report(
            "results/tables/item_statistics.csv",
            caption="../report/item_statistics.rst",
            category="2 Measurement (RQ1)",
            labels={"table": "item statistics"},
        ),
    log:
        "logs/reliability/reliability.log",
    benchmark:
        "benchmarks/reliability/reliability.tsv"
    params:
        code=code_version("measure"),
        min_group_size=config["min_group_size"],
        ci_level=config["measurement"]["ci_level"],
    script:
        "../../scripts/reliability.py"


rule cfa:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        fit=report(
            "results/tables/cfa_fit.csv",
            caption="../report/cfa_fit.rst",
            category="2 Measurement (RQ1)",
            labels={"table": "CFA fit"},
        ),
        loadings=report(
            "results/tables/cfa_loadings.csv",
            caption="../report/cfa_loadings.rst",
            category="2 Measurement (RQ1)",
            labels={"table": "CFA loadings"},
        ),
    log:
        "logs/cfa/cfa.log",
    benchmark:
        "benchmarks/cfa/cfa.tsv"
    priority: PRIORITY["cfa"]
    params:
        code=code_version("measure"),
    script:
        "../../scripts/cfa.py"


rule icc:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        icc=report(
            "results/tables/icc.csv",
            caption="../report/icc.rst",
            category="2 Measurement (RQ1)",
            labels={"table": "ICC and design effect"},
        ),
    log:
        "logs/icc/icc.log",
    benchmark:
        "benchmarks/icc/icc.tsv"
    params:
        code=code_version("measure"),
    script:
        "../../scripts/icc.py"


rule descriptives:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        descriptives=report(
            "results/tables/descriptives.csv",
            caption="../report/descriptives.rst",
            category="3 Profiles (RQ2)",
            labels={"table": "descriptives"},
        ),
    log:
        "logs/descriptives/descriptives.log",
    benchmark:
        "benchmarks/descriptives/descriptives.tsv"
    params:
        code=code_version("measure"),
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/descriptives.py"
