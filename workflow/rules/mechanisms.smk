# Mechanisms: mediation FAC -> REL -> DUR (RQ4), the network dip (RQ5), actual durability (RQ6).
# Config keys used: bootstrap.n_boot, bootstrap.mc_draws, bootstrap.seed, network_dip.spline_df,
# network_dip.n_boot, network_dip.min_partnerships, min_group_size,
# registry, survival.censor_year, survival.min_events_interaction.

from borgingsmonitor.core.codeversion import code_version
from borgingsmonitor.core.priority import PRIORITY


rule mediation:
    input:
        responses="results/clean/responses.parquet",
    output:
        table=report(
            "results/tables/mediation.csv",
            caption="../report/mediation.rst",
            category="5 Mechanism, network dip, survival (RQ4-RQ6)",
            labels={"table": "mediation (RQ4)"},
        ),
    log:
        "logs/mediation/mediation.log",
    benchmark:
        "benchmarks/mediation/mediation.tsv"
    params:
        code=code_version("mechanisms"),
        n_boot=config["bootstrap"]["n_boot"],
        mc_draws=config["bootstrap"]["mc_draws"],
        seed=config["bootstrap"]["seed"],
    script:
        "../../scripts/mediation.py"


rule network_dip:
    input:
        responses="results/clean/responses.parquet",
    output:
        curve=report(
            "results/tables/network_dip.csv",
            caption="../report/network_dip.rst",
            category="5 Mechanism, network dip, survival (RQ4-RQ6)",
            labels={"table": "network dip curve (RQ5)"},
        ),
        contrasts=report(
            "results/tables/network_dip_contrasts.csv",
            caption="../report/network_dip_contrasts.rst",
            category="5 Mechanism, network dip, survival (RQ4-RQ6)",
            labels={"table": "network dip contrasts (H6)"},
        ),
        model="results/interim/models/network_dip.csv",
    log:
        "logs/network_dip/network_dip.log",
    benchmark:
        "benchmarks/network_dip/network_dip.tsv"
    priority: PRIORITY["network_dip"]
    params:
        code=code_version("mechanisms"),
        spline_df=config["network_dip"]["spline_df"],
        n_boot=config["network_dip"]["n_boot"],
        min_partnerships=config["network_dip"]["min_partnerships"],
        seed=config["bootstrap"]["seed"],
        min_group_size=config["min_group_size"],
    script:
        "../../scripts/network_dip.py"


rule survival:
    input:
        responses="results/clean/responses.parquet",
        registry=input_path(config["registry"]),
    output:
        table=report(
            "results/tables/survival.csv",
            caption="../report/survival.rst",
            category="5 Mechanism, network dip, survival (RQ4-RQ6)",
            labels={"table": "survival (RQ6)"},
        ),
    log:
        "logs/survival/survival.log",
    benchmark:
        "benchmarks/survival/survival.tsv"
    params:
        code=code_version("mechanisms"),
        censor_year=config["survival"]["censor_year"],
        min_events_interaction=config["survival"]["min_events_interaction"],
    script:
        "../../scripts/survival.py"
