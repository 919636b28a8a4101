"""Rule `report_html`: the annual report as HTML."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import report_html

run(snakemake, report_html)  # noqa: F821
