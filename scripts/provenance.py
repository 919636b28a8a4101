"""Rule `provenance`: publish the provenance record and the run's settings after every other output."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import provenance

run(snakemake, provenance)  # noqa: F821
