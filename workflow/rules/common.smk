# Plain-Python helpers for the rules: the fan-out over raw export files comes from the config.
import os

from borgingsmonitor.sources import file_units

UNITS = {(u.region, u.file_id): u for u in file_units(config)}


wildcard_constraints:
    region="|".join(sorted({u.region for u in UNITS.values()})) or "none",
    file_id="[a-z0-9-]+",


def input_path(relative):
    return os.path.join(config["input_dir"], relative)


def export_of(wildcards):
    return input_path(UNITS[(wildcards.region, wildcards.file_id)].path)


def unit_of(wildcards):
    return UNITS[(wildcards.region, wildcards.file_id)]


def unit_params(wildcards):
    u = unit_of(wildcards)
    return {
        "region": u.region,
        "file_id": u.file_id,
        "path": u.path,
        "settings": u.settings,
    }


def region_spec(wildcards):
    spec = config["regions"][wildcards.region]
    return {k: v for k, v in spec.items() if k != "sources"}


def ingested(kind):
    suffix = {"table": ".parquet", "issues": ".issues.csv"}[kind]
    return [f"results/interim/ingested/{r}/{f}{suffix}" for (r, f) in UNITS]


def all_outputs():
    tables = [
        "reliability",
        "item_statistics",
        "cfa_fit",
        "cfa_loadings",
        "icc",
        "descriptives",
    ]
    tables += ["mediation", "network_dip", "survival", "models", "hypotheses"]
    return [
        "results/clean/responses.parquet",
        "results/qc/exclusions.csv",
        "results/qc/attrition.csv",
        "results/qc/value_issues.csv",
        "results/report/report.html",
        "results/report/report.docx",
        "results/report/partnerships",
        "results/provenance.json",
    ] + [f"results/tables/{t}.csv" for t in tables]


def regions_without_sources():
    """What cleaning needs of each region (its fieldwork windows), so a source change does not rerun it."""
    return {
        r: {k: v for k, v in spec.items() if k != "sources"}
        for r, spec in config["regions"].items()
    }
