"""Rule `network_dip`: the spline curve of outcomes by partnership age and its model rows."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.mechanisms.steps import network_dip

run(snakemake, network_dip)  # noqa: F821
