"""Rule `tables_workbook`: the result tables as one Excel workbook."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import tables_workbook

run(snakemake, tables_workbook)  # noqa: F821
