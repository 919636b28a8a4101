"""Identifiers from data name a file only when they are plain names; outputs stay inside results/
and inputs inside input_dir, whatever a registry or a config says."""

from __future__ import annotations

import subprocess

import pytest
from conftest import REPO, SNAKEMAKE, example_config, write_config
from hypothesis import given
from hypothesis import strategies as st

from borgingsmonitor.core.errors import InputError
from borgingsmonitor.core.paths import check_name, input_file, is_safe_name, output_path
from borgingsmonitor.core.registry import load_registry

REGISTRY = (REPO / "data" / "example" / "registry" / "partnerships.csv").read_text(encoding="utf-8")
ESCAPES = [
    "../../../../evil-HEL05",
    "../HEL-01",
    "HEL/01",
    "/etc/passwd",
    "..",
    "a..b",
    "=1+2",
    ".hidden",
    "",
    "x" * 65,
    "HEL 01",
]


@pytest.mark.parametrize("pid", ESCAPES)
def test_a_registry_id_that_cannot_name_a_file_stops_with_file_row_and_column(tmp_path, pid):
    path = tmp_path / "partnerships.csv"
    path.write_text(REGISTRY.replace("HEL-05,", f'"{pid}",', 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_registry(path)
    message = str(err.value)
    assert str(path) in message and "row 4" in message and "'partnership_id'" in message and "To fix" in message


def test_the_example_registry_ids_are_plain_names():
    assert len(load_registry(REPO / "data" / "example" / "registry" / "partnerships.csv")) > 20


@given(st.text(max_size=70))
def test_a_safe_name_never_leaves_its_folder(name):
    if is_safe_name(name):
        assert "/" not in name and "\\" not in name and ".." not in name and not name.startswith(".")


@pytest.mark.parametrize("name", ["../evil.html", "a/b.html", "..", "/abs.png"])
def test_output_path_refuses_to_leave_its_folder(tmp_path, name):
    with pytest.raises(InputError, match="cannot name a file"):
        output_path(tmp_path / "results", name)


def test_output_path_refuses_a_symlink_out_of_the_folder(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "HEL-01.html").symlink_to(tmp_path / "elsewhere.html")
    with pytest.raises(InputError, match="outside the results folder"):
        output_path(tmp_path / "results", "HEL-01.html")
    assert output_path(tmp_path / "results", "HEL-02.html") == (tmp_path / "results" / "HEL-02.html").resolve()


@pytest.mark.parametrize("relative", ["../../../../etc/passwd", "/etc/passwd", "helmond/../../x.csv"])
def test_an_input_path_outside_input_dir_is_refused(tmp_path, relative):
    with pytest.raises(InputError, match="leads outside input_dir") as err:
        input_file(tmp_path / "input", relative, "regions.helmond.sources.files.path")
    assert "regions.helmond.sources.files.path" in str(err.value)
    assert input_file(tmp_path / "input", "helmond/a.csv", "x").endswith("input/helmond/a.csv")


def _dry_run(workdir):
    command = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "-n",
        "--cores",
        "1",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return run.returncode, run.stdout + run.stderr


def test_an_export_path_leaving_input_dir_stops_the_workflow_before_any_job(tmp_path):
    config = example_config()
    config["regions"]["helmond"]["sources"][0]["files"][0]["path"] = "../../../../etc/passwd"
    write_config(tmp_path, config)
    code, output = _dry_run(tmp_path)
    assert code != 0 and "leads outside input_dir" in output and "regions.helmond" in output


def test_a_registry_path_leaving_input_dir_stops_the_workflow(tmp_path):
    write_config(tmp_path, example_config(registry="../../../../etc/passwd"))
    code, output = _dry_run(tmp_path)
    assert code != 0 and "leads outside input_dir" in output


def test_a_region_id_with_a_path_in_it_stops_the_workflow(tmp_path):
    config = example_config()
    config["regions"]["../../evil"] = config["regions"].pop("helmond")
    write_config(tmp_path, config)
    code, output = _dry_run(tmp_path)
    assert code != 0 and "../../evil" in output
    assert not (tmp_path / "results").exists()


def test_check_name_returns_the_name():
    assert check_name("HEL-01", "registry.csv") == "HEL-01"


def test_a_symlinked_folder_inside_input_dir_is_followed(tmp_path):
    """The user's own link (data on a shared drive) is fine; the config's '..' is not."""
    (tmp_path / "share" / "helmond").mkdir(parents=True)
    (tmp_path / "share" / "helmond" / "a.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "helmond").symlink_to(tmp_path / "share" / "helmond", target_is_directory=True)
    assert open(input_file(tmp_path / "input", "helmond/a.csv", "path"), encoding="utf-8").read() == "x\n"
    with pytest.raises(InputError):
        input_file(tmp_path / "input", "helmond/../../share/helmond/a.csv", "path")
