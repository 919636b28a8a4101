"""Shared test helpers: a workflow run in a scratch folder on a copy of the config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples, so a landing is reproducible; a developer's
# run keeps exploring new ones (and hypothesis remembers the failures it finds in .hypothesis/).
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TEST_SECRET = "test-secret-of-at-least-32-bytes-for-keys"
# Set before any fixture runs (module-scoped ones start before the autouse one below), so every run in
# the tests uses the same secret whatever the caller's environment holds (CI sets its own).
os.environ["BORGING_SECRET"] = TEST_SECRET


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    """Tests never create a secret file in the user's home."""
    monkeypatch.setenv("BORGING_SECRET", TEST_SECRET)


def example_config(input_dir: Path | str = REPO / "data" / "example", **overrides) -> dict:
    """The bundled config with absolute paths, fast text scrubbing, and the given top-level overrides."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["input_dir"] = str(input_dir)
    config["questionnaire"] = str(REPO / "config" / "questionnaire.yaml")
    if config["report"].get("preface"):
        config["report"]["preface"] = str(REPO / config["report"]["preface"])
    config["privacy"]["use_deduce"] = False
    config["privacy"]["create_secret_if_missing"] = False
    config.update(overrides)
    return config


def write_config(workdir: Path, config: dict) -> Path:
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_workflow(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real Snakefile in `workdir` with `workdir/config.yaml`."""
    command = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--cores",
        "2",
        *args,
    ]
    env = {**os.environ, "BORGING_SECRET": TEST_SECRET}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
        )
    return result
