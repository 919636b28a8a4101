"""Rule `figures`: the figures that do not wait for the models (FIGURE_JOBS), as PNG and SVG."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import figures

run(snakemake, figures)  # noqa: F821
