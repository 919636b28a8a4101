"""Rule `provenance`: the record of every input file, the config and the code version."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import provenance

run(snakemake, provenance)  # noqa: F821
