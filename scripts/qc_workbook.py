"""Rule `qc_workbook`: the QC tables as one Excel workbook in the report language."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import qc_workbook

run(snakemake, qc_workbook)  # noqa: F821
