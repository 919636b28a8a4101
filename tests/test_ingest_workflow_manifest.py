"""Through the real workflow: a LimeSurvey export with a 1 MB comment and a question the config does not map.

Provenance comes from what ingestion recorded (no export is parsed twice), the comment is cut at the documented
length and listed, and the new question is listed in qc/unmapped_columns.csv (never its answers)."""

from __future__ import annotations

import csv
import hashlib
import json

import pandas as pd
import pytest
from conftest import example_config, run_workflow, write_config
from fixtures.clean import lime_columns, lime_response, write_registry

from borgingsmonitor.core.contracts import COMMENT_MAX_CHARS, UNMAPPED_COLUMNS

pytestmark = pytest.mark.slow

EXPORT = "helmond/2024/results-survey777777.csv"
NEW = ["stage[SQ001]", "stageTime", "groupTime9001"]  # a new question, and LimeSurvey's timings of it
HUGE = "Lange toelichting. " * (1_048_576 // 19 + 1)
# the provenance record (published as results/provenance.json once every analysis has run; one
# region with one wave is too little data for the analyses, and this test is about ingestion)
RECORD = "results/interim/provenance.json"
TARGETS = [RECORD, "results/qc/unmapped_columns.csv", "results/qc/value_issues.csv"]


def write_export(path):
    ok = "2024-03-20 10:00:00"
    rows = [
        lime_response("tokA", "Route ICT Helmond", ok, seed=1, comment=HUGE),
        lime_response("tokB", "Route ICT Helmond", ok, seed=2, comment="test"),
        lime_response("tokC", "Route ICT Helmond", ok, seed=3, comment="We testen een nieuwe stageopdracht."),
        lime_response("tokD", "Route ICT Helmond", ok, seed=4),
    ]
    extra = [{"stage[SQ001]": "Ja, een geheim antwoord", "stageTime": "12.5", "groupTime9001": "40"}] * 3 + [{}]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(lime_columns() + NEW)
        for i, (row, more) in enumerate(zip(rows, extra), start=1):
            writer.writerow([str(i) if c == "id" else (row | more).get(c, "") for c in lime_columns() + NEW])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("manifest")
    inputs = work / "input"
    write_registry(inputs)
    write_export(inputs / EXPORT)
    config = example_config(input_dir=inputs)
    helmond = config["regions"]["helmond"]
    helmond["sources"][0]["files"] = [{"path": EXPORT, "wave": 2024}]
    config["regions"] = {"helmond": helmond}
    write_config(work, config)
    run_workflow(work, *TARGETS)
    return work


def test_provenance_reads_what_ingestion_recorded(run):
    provenance = json.loads((run / RECORD).read_text(encoding="utf-8"))
    export = next(f for f in provenance["inputs"] if f["kind"] == "export")
    raw = (run / "input" / EXPORT).read_bytes()
    assert len(raw) > 1_048_576
    assert export["path"].endswith(EXPORT) and export["region"] == "helmond" and export["tool"] == "limesurvey"
    assert export["rows"] == 4 and export["bytes"] == len(raw) and export["sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_very_long_comment_is_cut_and_listed(run):
    issues = pd.read_csv(run / "results/qc/value_issues.csv", dtype=str, keep_default_na=False)
    long = issues[issues["problem"] == "too_long"]
    assert long[["source_row", "column", "value"]].values.tolist() == [["0", "comment", f"{len(HUGE)} characters"]]
    responses = pd.read_parquet(run / "results/clean/responses.parquet").set_index("source_row")
    assert len(responses.loc[0, "comment"]) <= COMMENT_MAX_CHARS
    assert responses.loc[0, "comment"].startswith("Lange toelichting.")


def test_a_test_note_is_excluded_and_a_comment_about_testing_is_not(run):
    exclusions = pd.read_csv(run / "results/qc/exclusions.csv")
    assert exclusions[["source_row", "reason", "detail"]].values.tolist() == [[1, "test", "test mark in comment"]]
    responses = pd.read_parquet(run / "results/clean/responses.parquet")
    assert sorted(responses["source_row"]) == [0, 2, 3]


def test_a_question_the_config_does_not_map_is_listed_without_its_answers(run):
    text = (run / "results/qc/unmapped_columns.csv").read_text(encoding="utf-8")
    unmapped = pd.read_csv(run / "results/qc/unmapped_columns.csv")
    assert list(unmapped.columns) == UNMAPPED_COLUMNS
    assert unmapped.values.tolist() == [["helmond", EXPORT, "stage[SQ001]", 3]]  # not the tool's ipaddr or timings
    assert "geheim" not in text
    log = (run / "logs/ingest_region/helmond.log").read_text(encoding="utf-8")
    assert "toelichting -> comment" in log and "token -> respondent_id" in log
    assert "does not map" in log and "stage[SQ001]" in log and "geheim" not in log
