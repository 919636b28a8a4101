"""The measure rules run as Snakemake jobs and give identical outputs on a rerun."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fixtures.measure import simulate_responses

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ["reliability.csv", "item_statistics.csv", "cfa_fit.csv", "cfa_loadings.csv", "icc.csv", "descriptives.csv"]
SNAKEFILE = f"""configfile: "config/config.yaml"
include: "{ROOT / "workflow" / "rules" / "measure.smk"}"
rule all:
    input: {", ".join(repr(f"results/tables/{name}") for name in OUTPUTS)}
"""


def run_workflow(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    snakemake = Path(sys.executable).parent / "snakemake"
    return subprocess.run(
        [str(snakemake), "-c1", "--directory", str(workdir), "-s", str(workdir / "Snakefile"), *extra],
        capture_output=True,
        text=True,
        cwd=workdir,
    )


@pytest.mark.slow
def test_measure_rules_run_and_rerun_identically(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "results" / "clean").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "questionnaire.yaml", tmp_path / "config")
    (tmp_path / "config" / "config.yaml").write_text(
        "questionnaire: config/questionnaire.yaml\nmin_group_size: 5\nmeasurement:\n  ci_level: 0.95\n"
    )
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    simulate_responses(n_per_region_wave=40, seed=2).to_parquet(tmp_path / "results" / "clean" / "responses.parquet")

    first = run_workflow(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    tables = tmp_path / "results" / "tables"
    contents = {name: (tables / name).read_bytes() for name in OUTPUTS}
    for rule in ["reliability", "cfa", "icc", "descriptives"]:
        assert (tmp_path / "logs" / rule / f"{rule}.log").exists()
    assert (tmp_path / "benchmarks" / "cfa" / "cfa.tsv").exists()
    rel = pd.read_csv(tables / "reliability.csv", dtype={"wave": str})
    assert list(rel.columns[:8]) == ["scale", "wave", "n", "n_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]

    second = run_workflow(tmp_path, "--forceall")
    assert second.returncode == 0, second.stderr[-3000:]
    for name in OUTPUTS:
        assert (tables / name).read_bytes() == contents[name], name
