"""Rule `region_reports`: one report per region for its coordinator."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import region_reports

run(snakemake, region_reports)  # noqa: F821
