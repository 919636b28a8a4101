"""Rule `claims`: the claims the report may make, with the statistic and threshold behind each."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.report.steps import claims

run(snakemake, claims)  # noqa: F821
