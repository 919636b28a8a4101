"""The clean rule in the real workflow: byte-identical clean/ and qc/ files on a rerun, clear config errors."""

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from fixtures.clean import (
    CONFIG,
    PRIVACY,
    QUESTIONNAIRE,
    ROOT,
    SECRET,
    lime_response,
    qualtrics_response,
    source_settings,
    write_limesurvey,
    write_qualtrics,
    write_registry,
)

OUTPUTS = ["clean/responses.parquet", "qc/exclusions.csv", "qc/attrition.csv", "qc/value_issues.csv"]
LIME = {2024: "helmond/2024/results-survey111111.csv", 2025: "helmond/2025/results-survey222222.csv"}
QUALTRICS = "den-bosch/Monitor DLR Den Bosch 2024_March 23, 2024_14.35.csv"


def write_inputs(folder: Path) -> None:
    write_registry(folder)
    ok = "2024-03-20 10:00:00"
    write_limesurvey(
        folder / LIME[2024],
        [
            lime_response("tokA", "Route ICT Helmond", ok, seed=1),
            lime_response("tokB", "Route ICT Helmond", "2024-03-21 09:00:00", seed=2),
            lime_response("tokB", "Route ICT Helmond", "2024-03-22 09:00:00", seed=3, hours="400"),
            lime_response("tokC", "Route ICT Helmond", None, seed=4),
            lime_response("tokD", "Route ICT Helmond", ok, seed=5, consent="Nee"),
            lime_response("tokE", "Route ICT Helmond", "2024-03-01 10:00:00", seed=6),
            lime_response("tokF", "Route ICT Helmond", ok, seed=7, seconds=40),
            lime_response("tokG", " Route  Mobiliteit &  Transport helmond", ok, seed=8, hours="ongeveer 4"),
            lime_response("tokH", "Route Bestaat Niet", ok, seed=9),
        ],
    )
    write_limesurvey(folder / LIME[2025], [lime_response("tokA", "Route ICT Helmond", "2025-03-10 10:00:00", seed=10)])
    write_qualtrics(
        folder / QUALTRICS,
        [
            qualtrics_response("a@school.nl", "DBO-02", "2024-03-01 10:00:00", seed=11),
            qualtrics_response(
                "b@school.nl", "DBO-04", "2024-03-01 10:00:00", seed=12, status="Survey Preview", channel="preview"
            ),
        ],
    )


def write_config(folder: Path, helmond_waves=(2024, 2025)) -> Path:
    config = copy.deepcopy(CONFIG)
    config |= {
        "input_dir": str(folder / "input"),
        "questionnaire": str(QUESTIONNAIRE),
        "privacy": PRIVACY | {"secret_file": str(folder / "no-such-secret.key")},
    }
    helmond_files = [{"path": LIME[year], "wave": wave} for year, wave in zip((2024, 2025), helmond_waves)]
    config["regions"] = {
        "helmond": CONFIG["regions"]["helmond"] | {"sources": [source_settings("helmond") | {"files": helmond_files}]},
        "den-bosch": CONFIG["regions"]["den-bosch"]
        | {"sources": [source_settings("den-bosch") | {"files": [{"path": QUALTRICS, "wave": 2024}]}]},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def run_workflow(workdir: Path) -> subprocess.CompletedProcess:
    snakemake = Path(sys.executable).parent / "snakemake"
    env = os.environ | {"BORGING_SECRET": SECRET}
    return subprocess.run(
        [
            str(snakemake),
            "-s",
            str(ROOT / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(workdir / "config.yaml"),
            "--cores",
            "2",
            "results/qc/attrition.csv",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
    )


def clean_log(workdir: Path) -> Path:
    """The clean rule's log (logs/clean.log, or logs/clean/clean.log under the per-rule folder convention)."""
    found = [p for p in (workdir / "logs" / "clean.log", workdir / "logs" / "clean" / "clean.log") if p.exists()]
    assert found, "the clean rule wrote no log"
    return found[0]


def remove_results(workdir: Path) -> None:
    for folder in ("clean", "qc"):
        shutil.rmtree(workdir / "results" / folder, ignore_errors=True)


@pytest.mark.slow
def test_a_rerun_gives_byte_identical_clean_and_qc_files_and_a_missing_window_is_named(tmp_path):
    write_inputs(tmp_path / "input")
    write_config(tmp_path)

    first = run_workflow(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    results = tmp_path / "results"
    contents = {name: (results / name).read_bytes() for name in OUTPUTS}
    assert "ledger: 12 raw rows = 5 analysed + 7 excluded" in clean_log(tmp_path).read_text()
    attrition = pd.read_csv(results / "qc" / "attrition.csv")
    assert attrition.values.tolist() == [
        ["den-bosch", 2024, 2, 0, 0, 0, 1, 0, 0, 1],
        ["helmond", 2024, 9, 1, 1, 1, 1, 1, 1, 3],
        ["helmond", 2025, 1, 0, 0, 0, 0, 0, 0, 1],
    ]
    issues = pd.read_csv(results / "qc" / "value_issues.csv")
    assert issues[["source_row", "column", "problem", "value"]].values.tolist() == [
        [2, "fac_hours", "out_of_range", "400"],
        [7, "fac_hours", "not_a_number", "ongeveer 4"],
    ]

    remove_results(tmp_path)
    second = run_workflow(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    for name in OUTPUTS:
        assert (results / name).read_bytes() == contents[name], f"{name} differs on a rerun"

    remove_results(tmp_path)
    write_config(tmp_path, helmond_waves=(2024, 2026))  # a wave the config has no fieldwork window for
    third = run_workflow(tmp_path)
    assert third.returncode != 0
    assert "regions.helmond.fieldwork" in third.stderr and "2026" in third.stderr
    assert "regions.helmond.fieldwork" in clean_log(tmp_path).read_text()
    assert not (results / "qc" / "attrition.csv").exists()
