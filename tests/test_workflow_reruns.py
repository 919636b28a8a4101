"""Reruns: only what changed runs again; a no-op run decides without running anything."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO, example_config, run_workflow, write_config

pytestmark = pytest.mark.slow


def planned_jobs(workdir) -> dict[str, int]:
    out = run_workflow(workdir, "results/qc/attrition.csv", "-n", "--quiet", "rules").stdout
    return {
        parts[0]: int(parts[1])
        for parts in (line.split() for line in out.splitlines())
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total"
    }


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("reruns")
    shutil.copytree(REPO / "data" / "example", workdir / "input")
    write_config(workdir, example_config(input_dir=workdir / "input"))
    run_workflow(workdir, "results/qc/attrition.csv")
    return workdir


def test_a_finished_run_plans_nothing(ran_once):
    assert planned_jobs(ran_once) == {}


def test_touching_one_export_reruns_only_its_regions_ingestion_and_the_gathers(ran_once):
    """One ingestion job per region (the default): a changed export reruns its own region's job only."""
    export = ran_once / "input" / "helmond" / "2024" / "results-survey861633.csv"
    export.write_bytes(export.read_bytes() + b"\r\n")  # a new version of the file (a blank line: no new row)
    out = run_workflow(ran_once, "results/qc/attrition.csv", "-n").stdout
    assert planned_jobs(ran_once) == {"ingest_region": 1, "harmonised": 1, "clean": 1}
    assert re.findall(r"wildcards: region=([\w-]+)", out) == ["helmond"]


def test_a_changed_cleaning_setting_reruns_cleaning_but_not_ingestion(ran_once):
    run_workflow(ran_once, "results/qc/attrition.csv")
    config = example_config(input_dir=ran_once / "input")
    config["cleaning"]["speeder_seconds"] = 90
    write_config(ran_once, config)
    jobs = planned_jobs(ran_once)
    assert "clean" in jobs and "ingest_region" not in jobs


def test_per_file_ingestion_gives_the_same_clean_data_and_reruns_only_that_file(ran_once, tmp_path):
    shutil.copytree(ran_once / "input", tmp_path / "input")
    write_config(tmp_path, example_config(input_dir=tmp_path / "input", ingestion={"jobs": "per_file"}))
    run_workflow(tmp_path, "results/qc/attrition.csv")
    for name in (
        "clean/responses.parquet",
        "qc/exclusions.csv",
        "qc/attrition.csv",
        "qc/value_issues.csv",
        "qc/unmapped_columns.csv",
    ):
        assert (tmp_path / "results" / name).read_bytes() == (ran_once / "results" / name).read_bytes(), name
    export = tmp_path / "input" / "den-bosch" / "Monitor DLR Den Bosch 2024_March 23, 2024_14.35.csv"
    export.write_bytes(export.read_bytes() + b"\r\n")
    out = run_workflow(tmp_path, "results/qc/attrition.csv", "-n").stdout
    assert planned_jobs(tmp_path) == {"ingest_file": 1, "harmonised": 1, "clean": 1}
    assert re.findall(r"file_id=([\w-]+)", out) == ["monitor-dlr-den-bosch-2024-march-23-2024-14-35"]
