# The declared models (config `models:`), their gathered table and the declared hypotheses (RQ3-RQ6).
# One job per declared model, one row per declared hypothesis: adding either is a config change.
# Config keys used: models, hypotheses.

import os
import re

from borgingsmonitor.core.codeversion import code_version
from borgingsmonitor.core.priority import declared_model_priority
from borgingsmonitor.models.hypotheses import declared, id_range, source_tables

MODEL_SPECS = {m["name"]: m for m in config["models"]}
DECLARED_MODELS = list(MODEL_SPECS)
# model tables made by other rules that belong in models.csv (the network dip's test)
OTHER_MODEL_TABLES = ["results/interim/models/network_dip.csv"]
if set(DECLARED_MODELS) & {os.path.basename(p)[:-4] for p in OTHER_MODEL_TABLES}:
    raise ValueError(
        "config models: a declared model may not be named network_dip (made by its own rule)"
    )
HYPOTHESES = declared(config["hypotheses"]["declared"], DECLARED_MODELS)


MODEL_PRIORITY = {
    name: declared_model_priority(spec) for name, spec in MODEL_SPECS.items()
}


rule declared_model:
    input:
        responses="results/clean/responses.parquet",
        questionnaire=config["questionnaire"],
    output:
        table="results/interim/models/{model}.csv",
    log:
        "logs/declared_model/{model}.log",
    benchmark:
        "benchmarks/declared_model/{model}.tsv"
    wildcard_constraints:
        model="|".join(re.escape(name) for name in DECLARED_MODELS) or "(?!x)x",
    priority: lookup(dpath="{model}", within=MODEL_PRIORITY)
    params:
        code=code_version("models"),
        spec=lookup(dpath="{model}", within=MODEL_SPECS),
    script:
        "../../scripts/declared_model.py"


rule hypotheses:
    input:
        tables=source_tables(HYPOTHESES),
    output:
        table=report(
            "results/tables/hypotheses.csv",
            caption="../report/hypotheses.rst",
            category="4 Models and hypotheses (RQ3-RQ6)",
            labels={"table": f"hypotheses {id_range(h.id for h in HYPOTHESES)}"},
        ),
    log:
        "logs/hypotheses/hypotheses.log",
    benchmark:
        "benchmarks/hypotheses/hypotheses.tsv"
    params:
        code=code_version("models"),
        alpha=config["hypotheses"]["alpha"],
        declared=config["hypotheses"]["declared"],
    script:
        "../../scripts/hypotheses.py"


rule models:
    input:
        models=expand("results/interim/models/{model}.csv", model=DECLARED_MODELS)
        + OTHER_MODEL_TABLES,
        hypotheses="results/tables/hypotheses.csv",
    output:
        table=report(
            "results/tables/models.csv",
            caption="../report/models.rst",
            category="4 Models and hypotheses (RQ3-RQ6)",
            labels={"table": "models"},
        ),
    log:
        "logs/models/models.log",
    benchmark:
        "benchmarks/models/models.tsv"
    params:
        code=code_version("models"),
        declared=config["hypotheses"]["declared"],
    script:
        "../../scripts/models.py"
