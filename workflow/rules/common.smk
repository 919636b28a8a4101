# Plain-Python helpers for the rules: the fan-out over raw export files comes from the config.
import hashlib
import json
import os
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError

from borgingsmonitor.core.errors import console_warning
from borgingsmonitor.core.paths import input_file
from borgingsmonitor.ingest import scrub_service
from borgingsmonitor.ingest.secret import check_run_secret
from borgingsmonitor.report.figure_registry import FIGURE_JOBS, FIGURES
from borgingsmonitor.ingest.sources import file_units

# A bad secret stops the run here, before any job (ingest/secret.py); the executor is not known yet
# (the cluster check runs again in onstart), but a job on a cluster node knows it is one.
check_run_secret(config["privacy"], cluster=workflow.remote_exec)
UNITS = {(u.region, u.file_id): u for u in file_units(config)}


wildcard_constraints:
    region="|".join(sorted({u.region for u in UNITS.values()})) or "none",
    file_id="[a-z0-9-]+",


def input_path(relative, where="registry"):
    return input_file(config["input_dir"], relative, where)


def check_input_paths():
    """Every input the config names stays inside input_dir (core/paths.py), checked before any job."""
    input_path(config["registry"])
    for unit in UNITS.values():
        input_path(unit.path, f"regions.{unit.region}.sources.files.path")


check_input_paths()


def check_inputs_exist():
    """A file the config lists but that is gone stops the run at parse: otherwise Snakemake keeps the
    results made from it (their outputs exist) and the run would succeed without the file.
    """
    listed = [input_path(u.path) for u in UNITS.values()]
    listed += [input_path(config["registry"]), config["questionnaire"]]
    missing = [path for path in listed if not os.path.exists(path)]
    if missing:
        raise WorkflowError(
            "the config lists files that do not exist:\n  "
            + "\n  ".join(missing)
            + "\n  To fix: restore them, or remove them from the config (regions.<region>.sources)"
        )


check_inputs_exist()


def export_of(wildcards):
    return [input_path(UNITS[(wildcards.region, wildcards.file_id)].path)]


def unit_of(wildcards):
    return UNITS[(wildcards.region, wildcards.file_id)]


def unit_params(wildcards):
    """The file's unit, as a one-element list: a per-file job is a region job with one file."""
    return [unit_of(wildcards).params()]


def region_spec(wildcards):
    spec = config["regions"][wildcards.region]
    return {k: v for k, v in spec.items() if k != "sources"}


def units_by_region():
    """Each region's units as params, made once: the input function below runs twice per region job."""
    grouped = {}
    for unit in UNITS.values():
        grouped.setdefault(unit.region, []).append(unit.params())
    return grouped


REGION_UNITS = units_by_region()


def region_units(wildcards):
    return REGION_UNITS.get(wildcards.region, [])


def region_exports(wildcards):
    return [input_path(unit["path"]) for unit in region_units(wildcards)]


def ingested(kind):
    """Per-region (the default) or per-file ingestion outputs, as `ingestion.jobs` says."""
    suffix = {
        "table": ".parquet",
        "issues": ".issues.csv",
        "manifest": ".manifest.json",
    }[kind]
    if config["ingestion"]["jobs"] == "per_region":
        return [
            f"results/interim/ingested/{r}{suffix}"
            for r in sorted({r for (r, f) in UNITS})
        ]
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
    tables += [
        "mediation",
        "network_dip",
        "network_dip_contrasts",
        "survival",
        "models",
        "hypotheses",
        "claims",
    ]
    return [
        "results/clean/responses.parquet",
        "results/qc/exclusions.csv",
        "results/qc/attrition.csv",
        "results/qc/value_issues.csv",
        "results/qc/unmapped_columns.csv",
        "results/qc/qc.xlsx",
        "results/report/report.html",
        "results/report/report.docx",
        "results/report/config.yaml",
        "results/tables/tables.xlsx",
        "results/clean/responses.sav",
        "results/report/partnerships",
        "results/report/regions",
        "results/provenance.json",
    ] + [f"results/tables/{t}.csv" for t in tables]


PUBLISHED_LAST = ("results/provenance.json", "results/report/config.yaml")


def published_outputs():
    """Every output but the two the `provenance` rule writes after all of them."""
    return [path for path in all_outputs() if path not in PUBLISHED_LAST]


def regions_without_sources():
    """What cleaning needs of each region (its fieldwork windows), so a source change does not rerun it."""
    return {
        r: {k: v for k, v in spec.items() if k != "sources"}
        for r, spec in config["regions"].items()
    }


# The report stage: its tables, figures and their categories in `snakemake --report`.
REPORT_TABLES = {
    "reliability": "results/tables/reliability.csv",
    "cfa_fit": "results/tables/cfa_fit.csv",
    "descriptives": "results/tables/descriptives.csv",
    "models": "results/tables/models.csv",
    "mediation": "results/tables/mediation.csv",
    "network_dip": "results/tables/network_dip.csv",
    "network_dip_contrasts": "results/tables/network_dip_contrasts.csv",
    "survival": "results/tables/survival.csv",
    "hypotheses": "results/tables/hypotheses.csv",
    "attrition": "results/qc/attrition.csv",
}


def figure_outputs(job):
    """PNG (in `snakemake --report`, with its declared caption and category) and SVG of each figure
    the job draws (FIGURE_JOBS)."""
    outputs = {}
    for fig in FIGURES:
        if fig.name not in FIGURE_JOBS[job]:
            continue
        outputs[f"{fig.name}_png"] = report(
            f"results/figures/{fig.name}.png",
            caption=f"../report/{fig.caption}",
            category="6 Figures",
            subcategory=fig.category,
            labels={"figure": fig.name, "format": "PNG"},
        )
        outputs[f"{fig.name}_svg"] = f"results/figures/{fig.name}.svg"
    return outputs


def figure_pngs():
    return {f"{fig.name}_png": f"results/figures/{fig.name}.png" for fig in FIGURES}


def report_settings():
    return {
        "language": config["report"]["language"],
        "title": config["report"]["title"],
        "year": config["report"]["year"],
        "min_group_size": config["min_group_size"],
        "date": config["report"]["date"],
        "author": config["report"]["author"],
        "fieldwork_ends": fieldwork_ends(),
        "hypotheses": config["hypotheses"]["declared"],
    }


def fieldwork_ends():
    """Per wave, the last day of fieldwork in any region: the Word file's date when report.date is unset."""
    ends = {}
    for spec in config["regions"].values():
        for wave, (_, end) in spec.get("fieldwork", {}).items():
            ends[str(wave)] = max(ends.get(str(wave), end), end)
    return ends


def report_texts():
    """The evaluator's own Markdown files and house-style Word template, where configured."""
    keys = ("preface", "conclusions", "reference_docx")
    return {key: config["report"][key] for key in keys if config["report"][key]}


def provenance_inputs():
    """What the provenance record describes; a new kind of input is one more entry here."""
    return {
        "manifests": ingested(
            "manifest"
        ),  # what ingestion recorded of each export: none is parsed again
        "registry": input_path(config["registry"]),
        "questionnaire": config["questionnaire"],
    }


def config_sha256():
    text = json.dumps(config, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def untracked(value):
    """A param Snakemake neither compares for reruns nor prints as a job's reason (a builtin container
    would be both); pair it with a param that tracks it, such as config_sha256()."""
    return SimpleNamespace(value=value)


SCRUB_SERVICE = {}


def on_cluster():
    """Jobs on other machines: the scheduler keeps their environment, and a local socket is out of reach."""
    return workflow.non_local_exec or workflow.remote_exec


def check_cluster_secret():
    """onstart: the executor is known, no job has started."""
    check_run_secret(config["privacy"], cluster=on_cluster())


def start_scrub_service():
    if not config["privacy"].get("use_deduce", True):
        return
    # On a cluster its key would sit in the scheduler's job records, and nodes cannot reach its socket.
    if on_cluster():
        console_warning(
            "no scrub service on a cluster: every ingestion job loads deduce itself (~1.1 GB, ~1.5 s)"
        )
        return
    SCRUB_SERVICE["run"] = scrub_service.start(log_path="logs/scrub_service.log")
    if SCRUB_SERVICE["run"] is None:
        console_warning(
            "the scrub service did not start (logs/scrub_service.log): every ingestion job loads deduce itself"
        )


def stop_scrub_service():
    scrub_service.stop(SCRUB_SERVICE.pop("run", None))
