"""Rule `model_figures`: the figures drawn from models.csv (FIGURE_JOBS), as PNG and SVG."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import model_figures

run(snakemake, model_figures)  # noqa: F821
