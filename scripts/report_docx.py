"""Rule `report_docx`: the annual report as Word."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import report_docx

run(snakemake, report_docx)  # noqa: F821
