"""Rule `descriptives`: scale means per group, small groups suppressed."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.measure.steps import descriptives

run(snakemake, descriptives)  # noqa: F821
