"""Rule `figures`: every figure of the report, as PNG and SVG."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import figures

run(snakemake, figures)  # noqa: F821
