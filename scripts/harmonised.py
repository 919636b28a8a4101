"""Rule `harmonised`: every file's rows -> the one validated harmonised table and all value issues."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.ingest.steps import harmonised

run(snakemake, harmonised)  # noqa: F821
