"""Rule `report_config`: the run's complete settings (defaults filled in) beside the report."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import report_config

run(snakemake, report_config)  # noqa: F821
