"""Rule `survival`: partnership survival (discrete-time hazard) from the registry and responses."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.mechanisms.steps import survival

run(snakemake, survival)  # noqa: F821
