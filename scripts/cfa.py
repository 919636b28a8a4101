"""Rule `cfa`: the five-factor confirmatory factor analysis: fit indices and loadings."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.measure.steps import cfa

run(snakemake, cfa)  # noqa: F821
