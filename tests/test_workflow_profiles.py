"""The local SLURM proof uses the real cluster profile, differing only where a test cluster must."""

from pathlib import Path

import yaml

PROFILES = Path(__file__).resolve().parents[1] / "workflow" / "profiles"


def load(name):
    return yaml.safe_load((PROFILES / name / "config.yaml").read_text(encoding="utf-8"))


def test_local_profile_differs_only_in_cluster_access():
    real, local = load("slurm"), load("slurm-local")
    differing = {k for k in real.keys() | local.keys() if real.get(k) != local.get(k)}
    assert differing == {"slurm-status-command", "slurm-no-account", "slurm-init-seconds-before-status-checks"}


def test_every_heavy_rule_has_resources_on_the_cluster():
    resources = load("slurm")["set-resources"]
    for rule in ("ingest_region", "ingest_file", "clean", "cfa", "icc", "declared_model", "mediation", "figures"):
        assert {"mem_mb", "runtime"} <= set(resources[rule]), rule
