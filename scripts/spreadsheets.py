"""Rule `spreadsheets`: the tables as an Excel workbook, the clean data as Excel and SPSS, its codebook."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import spreadsheets

run(snakemake, spreadsheets)  # noqa: F821
