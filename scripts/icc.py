"""Rule `icc`: intraclass correlations of the scales by region and partnership."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.measure.steps import icc

run(snakemake, icc)  # noqa: F821
