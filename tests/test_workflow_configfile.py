"""A user's --configfile replaces the example config: nothing of the example's regions or settings is merged in."""

from __future__ import annotations

import re

from conftest import example_config, run_workflow, write_config


def test_a_one_region_config_plans_only_that_regions_jobs(tmp_path):
    # the project folder holds the example config where the Snakefile looks for it, as in a checkout
    (tmp_path / "config").mkdir()
    write_config(tmp_path / "config", example_config())
    config = example_config()
    config["regions"] = {"helmond": config["regions"]["helmond"]}
    config["label_sets"] = {}
    write_config(tmp_path, config)
    out = run_workflow(tmp_path, "-n").stdout
    regions = set(re.findall(r"region=([\w-]+)", out))
    assert regions == {"helmond"}
    assert set(re.findall(r"^ingest_region +(\d+)$", out, re.M)) == {"1"}  # one job for its three exports
    for other in ("den-bosch", "noord-west-veluwe", "west-brabant", "Monitor DLR"):
        assert other not in out


def test_a_changed_config_reruns_provenance_without_printing_the_config(tmp_path):
    config = example_config()
    config["regions"] = {"helmond": config["regions"]["helmond"]}
    write_config(tmp_path, config)
    run_workflow(tmp_path, "results/interim/provenance.json")
    config["cleaning"]["speeder_seconds"] = 61
    write_config(tmp_path, config)
    out = run_workflow(tmp_path, "-n", "results/interim/provenance.json").stdout
    assert "Params have changed since last execution" in out
    assert "speeder_seconds" not in out and "label_sets" not in out
