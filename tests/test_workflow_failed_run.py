"""A failed run changes nothing users read: after a good run, each kind of bad export (or registry) stops
the run with its message, and every file under results/ but interim/ keeps its bytes, provenance included.
A run killed mid-way recovers with what `make run` does to the same bytes as a clean run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, SNAKEMAKE, example_config, run_workflow, write_config

pytestmark = pytest.mark.slow

EXPORT = "helmond/2024/results-survey861633.csv"
REGISTRY = "registry/partnerships.csv"


def one_region_input(workdir: Path) -> Path:
    """Helmond's three LimeSurvey exports and the registry: the smallest input the whole workflow runs on."""
    data = workdir / "input"
    shutil.copytree(REPO / "data" / "example" / "helmond", data / "helmond")
    shutil.copytree(REPO / "data" / "example" / "registry", data / "registry")
    config = example_config(input_dir=data, bootstrap={"n_boot": 100, "seed": 1})
    config["regions"] = {"helmond": config["regions"]["helmond"]}
    write_config(workdir, config)
    return data


def every_file(workdir: Path) -> dict[str, str]:
    """sha256 of every file under results/."""
    results = workdir / "results"
    return {
        p.relative_to(results).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(results.rglob("*"))
        if p.is_file()
    }


def published(workdir: Path) -> dict[str, str]:
    """sha256 of every file under results/ except interim/."""
    return {name: digest for name, digest in every_file(workdir).items() if not name.startswith("interim/")}


def text(data: bytes) -> str:
    return data.decode("utf-8-sig")


def csv_bytes(body: str) -> bytes:
    return ("\ufeff" + body).encode("utf-8")


def with_a_short_row(body: str) -> str:
    lines = body.split("\n")
    return "\n".join([*lines[:2], '"9999","x","y"', *lines[2:]])


# (damage, file, the words the run's console must show). Each damage is a way a real export goes wrong.
DAMAGES = {
    "column_missing": (EXPORT, lambda b: csv_bytes(text(b).replace('"rol",', '"functie",', 1)), "no such column"),
    "column_twice": (EXPORT, lambda b: csv_bytes(text(b).replace('"rol",', '"route",', 1)), "appears twice"),
    "unknown_answer_label": (
        EXPORT,
        lambda b: csv_bytes(text(b).replace('"Mee eens"', '"Mee eensch"', 1)),
        "Mee eensch",
    ),
    "ambiguous_date": (
        EXPORT,
        lambda b: csv_bytes(re.sub(r'"2024-0\d-\d\d \d\d:\d\d:\d\d"', '"09/04/2024 10:00"', text(b))),
        "09/04/2024",
    ),
    "not_a_date": (EXPORT, lambda b: csv_bytes(text(b).replace('"2024-03-08 08:02:06"', '"gisteren"', 1)), "gisteren"),
    "empty_file": (EXPORT, lambda b: b"", "header row"),
    "wrong_encoding": (EXPORT, lambda b: text(b).encode("cp1252", errors="replace"), "encoding"),
    "short_row": (EXPORT, lambda b: csv_bytes(with_a_short_row(text(b))), "fields where the header has"),
    "cut_off_mid_file": (EXPORT, lambda b: csv_bytes(text(b)[: len(text(b)) // 2]), "fields where the header has"),
    "not_a_csv": (EXPORT, lambda b: b"PK\x03\x04" + bytes(range(256)) * 4, "ERROR"),
    "registry_without_id": (REGISTRY, lambda b: b.replace(b"partnership_id", b"partnership", 1), "partnership_id"),
}


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("failed_run")
    data = one_region_input(workdir)
    run_workflow(workdir)
    return workdir, data, published(workdir), every_file(workdir)


def test_provenance_describes_the_inputs_of_the_good_run(good_run):
    workdir, data, _, _ = good_run
    record = json.loads((workdir / "results" / "provenance.json").read_text(encoding="utf-8"))
    exports = {Path(f["path"]).name: f["sha256"] for f in record["inputs"] if f["kind"] == "export"}
    on_disk = sorted((data / "helmond").rglob("*.csv"))
    assert exports == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in on_disk}
    assert (workdir / "results" / "report" / "config.yaml").exists()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_bad_input_stops_the_run_and_changes_no_result(good_run, damage):
    workdir, data, before, _ = good_run
    name, spoil, words = DAMAGES[damage]
    path = data / name
    original = path.read_bytes()
    path.write_bytes(spoil(original))
    try:
        done = run_workflow(workdir, check=False)
    finally:
        path.write_bytes(original)
    console = done.stdout + done.stderr
    assert done.returncode != 0, console[-3000:]
    assert words in console, console[-3000:]
    assert published(workdir) == before


def test_a_missing_export_stops_before_any_job(good_run):
    workdir, data, before, _ = good_run
    path = data / EXPORT
    original = path.read_bytes()
    path.unlink()
    try:
        done = run_workflow(workdir, check=False)
    finally:
        path.write_bytes(original)
    assert done.returncode != 0
    assert "results-survey861633.csv" in done.stdout + done.stderr
    assert "Finished jobid" not in done.stdout + done.stderr
    assert published(workdir) == before


def kill_mid_run(workdir: Path, when_exists: str, timeout: float = 900) -> None:
    """Start the whole workflow and SIGKILL it (and its jobs) once `when_exists` appears under workdir."""
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
    ]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not (workdir / when_exists).exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be killed"
    time.sleep(2)  # the next jobs have started and written part of their outputs
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_a_killed_run_recovers_to_the_bytes_of_a_clean_run(good_run):
    workdir, _, _, clean = good_run
    shutil.rmtree(workdir / "results")
    kill_mid_run(workdir, "results/clean/responses.parquet")
    assert (workdir / ".snakemake" / "locks").is_dir()  # what an interrupted run leaves
    # what `make run` does
    subprocess.run([sys.executable, str(REPO / "tools" / "unlock_if_stale.py"), str(workdir)], check=True, timeout=60)
    run_workflow(workdir, "--rerun-incomplete")
    assert every_file(workdir) == clean
