"""The workflow's own checks: config schema, lint, formatting, DAG."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SNAKEMAKE, example_config, run_workflow, write_config
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def load_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_bundled_config_is_valid():
    validate(load_config(), SCHEMA)


def test_schema_defaults_match_the_bundled_config():
    """Like PyPSA-Eur's test: a default in the schema may not drift from the value in config.yaml."""
    schema = yaml.safe_load(Path(SCHEMA).read_text(encoding="utf-8"))
    config = load_config()
    # the example creates its secret (real use must not) and shows where the evaluator's preface goes
    example_only = {("privacy", "create_secret_if_missing"), ("report", "preface")}
    for key, spec in schema["properties"].items():
        for sub, subspec in spec.get("properties", {}).items():
            if (key, sub) in example_only:
                continue
            if "default" in subspec and key in config and sub in config[key]:
                assert config[key][sub] == subspec["default"], (
                    f"{key}.{sub}: config {config[key][sub]!r} != schema default {subspec['default']!r}"
                )


@pytest.mark.parametrize(
    "path, value, words",
    [
        (("regions", "helmond", "sources", 0, "tool"), "surveymonkey", ["surveymonkey", "tool"]),
        (("regions", "helmond", "fieldwork", "2023"), ["9-3-2023", "2023-04-20"], ["9-3-2023", "fieldwork"]),
        (("min_group_size",), 0, ["min_group_size"]),
        (("min_groupsize",), 10, ["min_groupsize"]),
        (("report", "autor"), "Evaluatiebureau", ["autor"]),
    ],
)
def test_a_config_mistake_is_reported_with_its_path(path, value, words):
    config = copy.deepcopy(load_config())
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(WorkflowError) as err:
        validate(config, SCHEMA)
    text = str(err.value)
    for word in words:
        assert word in text


def test_lint_finds_nothing_but_the_environment_lint():
    """We deploy with a pinned venv, so the per-rule conda/container lint is expected; nothing else is."""
    result = subprocess.run([SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True)
    output = result.stdout + result.stderr
    titles = set(re.findall(r"^\s+\* (.+?):$", output, flags=re.MULTILINE))
    assert "Lints for rule" in output  # the lint ran and reported per rule
    assert titles == {"Specify a conda environment or container for each rule."}, output[-3000:]


def test_rule_files_are_snakefmt_formatted():
    files = [str(REPO / "Snakefile"), *map(str, sorted((REPO / "workflow" / "rules").glob("*.smk")))]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("snakefmt")), "--check", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_python_is_ruff_clean(command):
    """The settings are in pyproject.toml; `ruff format .` and `ruff check --fix .` repair most findings."""
    ruff = str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run([ruff, *command, str(REPO)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


@pytest.mark.parametrize(
    "jobs, rule, expected",
    [
        ("per_region", "ingest_region", "4"),  # the default: one job per region
        ("per_file", "ingest_file", "10"),  # 3 LimeSurvey + 3 Forms + 3 Qualtrics + 1 SPSS with all waves
    ],
)
def test_one_ingestion_job_per_region_or_per_export_file(tmp_path, jobs, rule, expected):
    config = example_config(ingestion={"jobs": jobs})
    write_config(tmp_path, config)
    out = run_workflow(tmp_path, "-n", "--quiet", "rules").stdout
    counts = dict(line.split()[:2] for line in out.splitlines() if len(line.split()) == 2 and line.split()[1].isdigit())
    other = ({"ingest_region", "ingest_file"} - {rule}).pop()
    assert counts[rule] == expected and other not in counts
    assert counts["harmonised"] == "1"


def dry_run_jobs(tmp_path) -> list[dict]:
    """Each job of a dry run of the example: rule, input, wildcards and priority as Snakemake prints them."""
    write_config(tmp_path, example_config())
    out = run_workflow(tmp_path, "-n").stdout
    jobs = []
    for line in out.splitlines():
        if re.match(r"^(local)?rule \w+:$", line):
            jobs.append({"rule": line.split()[-1][:-1], "priority": "0"})
        elif jobs and re.match(r"^    (input|wildcards|priority): ", line):
            key, value = line.strip().split(": ", 1)
            jobs[-1][key] = value
    return jobs


def test_the_longest_jobs_after_cleaning_start_first_and_the_clean_copies_wait_for_no_model(tmp_path):
    """On 2 cores the run ends when its longest chain does: multiple imputation, the network dip and the
    clean data's Excel and SPSS copies (the longest jobs at 1M rows) must not wait behind short ones."""
    jobs = dry_run_jobs(tmp_path)
    priority = {(j["rule"], j.get("wildcards", "")): int(j["priority"]) for j in jobs}
    assert priority[("declared_model", "model=conditions_mixed_mi")] == max(priority.values())
    order = [
        priority[("declared_model", "model=conditions_mixed_mi")],
        priority[("network_dip", "")],
        priority[("clean_copies", "")],
        priority[("declared_model", "model=ordinal_mixed_dur_continue")],
        priority[("declared_model", "model=conditions_mixed")],
    ]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    assert priority[("cfa", "")] > priority[("reliability", "")]
    copies = next(j for j in jobs if j["rule"] == "clean_copies")
    assert "models" not in copies["input"] and "tables" not in copies["input"]
    assert "results/clean/responses.parquet" in copies["input"]


def test_the_region_whose_exports_read_slowest_is_ingested_first(tmp_path):
    """Excel reads ~50x slower per byte than CSV: a region of xlsx exports started last keeps one core
    busy alone at the end of ingestion."""
    jobs = [j for j in dry_run_jobs(tmp_path) if j["rule"] == "ingest_region"]
    priority = {j["wildcards"]: int(j["priority"]) for j in jobs}
    assert max(priority, key=priority.get) == "region=noord-west-veluwe"  # the Forms (xlsx) exports
    assert priority["region=noord-west-veluwe"] > max(v for k, v in priority.items() if "veluwe" not in k)


def test_ingestion_priority_weighs_bytes_by_how_slowly_their_format_reads(tmp_path):
    from borgingsmonitor.core.priority import ingestion_priority

    (tmp_path / "a.xlsx").write_bytes(b"x" * 1_000_000)
    (tmp_path / "b.csv").write_bytes(b"x" * 20_000_000)
    (tmp_path / "c.sav").write_bytes(b"x" * 10_000_000)
    xlsx, csv, sav = (ingestion_priority([tmp_path / name]) for name in ("a.xlsx", "b.csv", "c.sav"))
    assert xlsx > sav > csv > 0
    assert ingestion_priority([tmp_path / "a.xlsx", tmp_path / "b.csv"]) == round(10.0 + 4.0)
    assert ingestion_priority([tmp_path / "missing.csv"]) == 0
