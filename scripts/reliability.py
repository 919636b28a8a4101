"""Rule `reliability`: reliability of each scale (overall and per group) and item statistics."""

from borgingsmonitor.core.rulescript import run
from borgingsmonitor.measure.steps import reliability

run(snakemake, reliability)  # noqa: F821
