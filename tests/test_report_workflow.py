"""The report rules end to end on fixture tables: outputs, identical reruns, `snakemake --report`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fixtures.report import REPORT_TARGETS, build_fixture, write_workflow

# Not --quiet=all: it also silences the error, and a failing run must say why.
SNAKEMAKE = [str(Path(sys.executable).with_name("snakemake")), "-c1", "--quiet=progress"]


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*SNAKEMAKE, *args], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    return done


@pytest.mark.slow
def test_report_rules_write_everything_identically_and_report_zip(tmp_path):
    paths = build_fixture(tmp_path)
    write_workflow(tmp_path, paths, language="en")
    run(tmp_path, *REPORT_TARGETS)
    outputs = [tmp_path / p for p in REPORT_TARGETS[:2]] + sorted((tmp_path / "results" / "figures").glob("*"))
    outputs += sorted((tmp_path / "results" / "report" / "partnerships").glob("*.html"))
    first = {p: p.read_bytes() for p in outputs}
    assert len(list((tmp_path / "results" / "figures").glob("*.svg"))) == 13
    prov = json.loads((tmp_path / "results" / "interim" / "provenance.json").read_text())
    rows = {Path(f["path"]).name: f["rows"] for f in prov["inputs"]}
    assert rows == {
        "lime.csv": 3,
        "qualtrics.csv": 2,
        "forms.xlsx": 4,
        "partnerships.csv": 16,
        "questionnaire.yaml": None,
    }
    assert prov["config"]["report"]["language"] == "en" and "pandas" in prov["packages"]
    assert list(prov) == sorted(prov)
    shutil.rmtree(tmp_path / "results" / "figures")
    shutil.rmtree(tmp_path / "results" / "report")
    run(tmp_path, *REPORT_TARGETS)
    changed = [p.name for p, data in first.items() if p.read_bytes() != data]
    assert not changed
    run(tmp_path, "--report", "results/report.zip", *REPORT_TARGETS)
    with zipfile.ZipFile(tmp_path / "results" / "report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("forest_conditions.png") for n in names)
    assert any(n.endswith("report.docx") for n in names)
