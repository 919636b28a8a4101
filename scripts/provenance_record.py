"""Rule `provenance_record`: the record of every input file, the config and the code version (interim)."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import provenance_record

run(snakemake, provenance_record)  # noqa: F821
