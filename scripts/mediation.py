"""Rule `mediation`: the mediation analysis with a partnership-clustered bootstrap."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.mechanisms.steps import mediation

run(snakemake, mediation)  # noqa: F821
